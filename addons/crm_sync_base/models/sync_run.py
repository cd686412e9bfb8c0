from odoo import api, fields, models

COUNTERS = ("created", "updated", "deleted", "unlinked")


class CrmSyncRun(models.Model):
    """The journal: one row per sync run of an account, with a line per failed item."""

    _name = "crm.sync.run"
    _description = "CRM sync run"
    _order = "started_at desc, id desc"
    _rec_name = "display_label"

    account_id = fields.Many2one("crm.sync.account", required=True, ondelete="cascade",
                                 index=True)
    provider = fields.Selection(related="account_id.provider", store=True)
    user_id = fields.Many2one(related="account_id.user_id", store=True)
    trigger = fields.Selection(
        [("manual", "Sync now"), ("cron", "Scheduled"), ("preview", "Preview")],
        required=True, default="manual")
    started_at = fields.Datetime(required=True, default=fields.Datetime.now)
    ended_at = fields.Datetime()
    duration = fields.Float("Duration (s)", compute="_compute_duration")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("partial", "Done with errors"),
         ("failed", "Failed"), ("skipped", "Skipped"), ("preview", "Preview")],
        default="running", required=True, index=True)
    message = fields.Text()
    full_resync = fields.Boolean(help="The remote side refused the sync token; everything "
                                      "was listed again (no duplicate is created).")
    local_created = fields.Integer("Created in Odoo")
    local_updated = fields.Integer("Updated in Odoo")
    local_deleted = fields.Integer("Deleted in Odoo")
    local_unlinked = fields.Integer("Left the sync in Odoo")
    remote_created = fields.Integer("Created remotely")
    remote_updated = fields.Integer("Updated remotely")
    remote_deleted = fields.Integer("Deleted remotely")
    remote_unlinked = fields.Integer("Left the sync remotely")
    skipped = fields.Integer()
    conflicts = fields.Integer()
    failed = fields.Integer()
    kind_counts = fields.Json(
        "Counts per kind", help="The counters above per record kind (contacts, events, "
                                "tasks): {kind: {counter: n}}, for dashboards.")
    line_ids = fields.One2many("crm.sync.run.line", "run_id")
    display_label = fields.Char(compute="_compute_display_label")

    @api.depends("started_at", "ended_at")
    def _compute_duration(self):
        for run in self:
            run.duration = ((run.ended_at - run.started_at).total_seconds()
                            if run.ended_at and run.started_at else 0.0)

    @api.depends("account_id", "started_at")
    def _compute_display_label(self):
        for run in self:
            run.display_label = f"{run.account_id.name or ''} {run.started_at or ''}".strip()


class CrmSyncRunLine(models.Model):
    _name = "crm.sync.run.line"
    _description = "CRM sync run line"
    _order = "id"

    run_id = fields.Many2one("crm.sync.run", required=True, ondelete="cascade", index=True)
    kind = fields.Char()
    level = fields.Selection([("error", "Failed"), ("conflict", "Conflict"),
                              ("info", "Planned")], default="error", required=True)
    operation = fields.Char(help="What the sync tried: create_remote, update_local, ...")
    res_model = fields.Char("Model")
    res_id = fields.Integer("Record ID")
    remote_id = fields.Char("Remote ID")
    reason = fields.Text()
    discarded = fields.Json(help="The values that lost a conflict, so nothing is lost "
                                 "silently.")
