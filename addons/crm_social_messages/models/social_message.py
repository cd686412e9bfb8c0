from odoo import _, api, fields, models
from odoo.exceptions import UserError

NETWORKS = [("vk", "VK"), ("facebook", "Facebook"), ("x", "X")]


class CrmSocialMessage(models.Model):
    """One message written to (or received from) a person on a social network.

    The link to the partner or lead is a plain many2one that empties when the record
    is deleted; ``res_model`` and the person's profile (``profile_url`` /
    ``recipient``) stay, so the message is never lost and finds its record again when
    one with that profile comes back."""

    _name = "crm.social.message"
    _description = "Social network message"
    _order = "date desc, id desc"
    _rec_name = "summary"

    body = fields.Text("Text", required=True)
    summary = fields.Char(compute="_compute_summary", store=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, index=True)
    author_id = fields.Many2one("res.users", "Author", default=lambda self: self.env.user,
                                ondelete="set null")
    network = fields.Selection(NETWORKS, required=True)
    direction = fields.Selection([("outgoing", "Sent"), ("incoming", "Received")],
                                 required=True, default="outgoing")
    state = fields.Selection([("sending", "Sending"), ("sent", "Sent"),
                              ("failed", "Failed"), ("received", "Received")],
                             "Status", required=True, default="sending", index=True)
    error = fields.Text("Reason", readonly=True)
    remote_id = fields.Char("Message id on the network", readonly=True, copy=False)
    # VK delivers a message once per random_id: kept so a retry cannot double it.
    random_id = fields.Integer(readonly=True, copy=False)
    facebook_tag = fields.Char("Messenger tag", readonly=True)
    recipient = fields.Char("Profile id", readonly=True, index=True,
                            help="The person's id (VK, Facebook) or handle (X) on the "
                                 "network.")
    profile_url = fields.Char("Profile URL", readonly=True, index=True)
    res_model = fields.Selection([("res.partner", "Contact"), ("crm.lead", "Lead")],
                                 "Written from", readonly=True)
    partner_id = fields.Many2one("res.partner", "Contact", ondelete="set null", index=True,
                                 readonly=True)
    lead_id = fields.Many2one("crm.lead", "Lead", ondelete="set null", index=True,
                              readonly=True)
    # Not stored: the link is emptied by PostgreSQL (ondelete), which no compute sees.
    is_orphan = fields.Boolean("Record deleted", compute="_compute_is_orphan",
                               search="_search_is_orphan",
                               help="The contact or lead this message belonged to was "
                                    "deleted; the message is kept.")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company,
                                 readonly=True)

    _sql_constraints = [
        ("remote_unique", "unique(network, remote_id)",
         "This message of the network is already in Odoo."),
    ]

    @api.depends("body")
    def _compute_summary(self):
        for message in self:
            text = " ".join((message.body or "").split())
            message.summary = text if len(text) <= 60 else text[:59] + "…"

    @api.depends("res_model", "partner_id", "lead_id")
    def _compute_is_orphan(self):
        for message in self:
            linked = message.partner_id if message.res_model == "res.partner" else message.lead_id
            message.is_orphan = bool(message.res_model) and not linked

    def _search_is_orphan(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        orphan = ["|", "&", ("res_model", "=", "res.partner"), ("partner_id", "=", False),
                  "&", ("res_model", "=", "crm.lead"), ("lead_id", "=", False)]
        return orphan if (operator == "=") == value else ["!", *orphan]

    def record(self):
        """The partner or lead the message belongs to (empty when deleted)."""
        self.ensure_one()
        return self.partner_id if self.res_model == "res.partner" else self.lead_id

    def action_retry(self):
        """Send a failed message again; VK gets the same random_id, so at most once."""
        failed = self.filtered(lambda m: m.state == "failed" and m.direction == "outgoing")
        if not failed:
            raise UserError(_("Only failed outgoing messages can be sent again."))
        service = self.env["crm.social.service"]
        for message in failed:
            service._deliver(message)
        return service._notify_result(failed)

    def action_open_record(self):
        self.ensure_one()
        record = self.record()
        if not record:
            raise UserError(_("The record of this message was deleted."))
        return {"type": "ir.actions.act_window", "res_model": record._name,
                "res_id": record.id, "views": [(False, "form")]}
