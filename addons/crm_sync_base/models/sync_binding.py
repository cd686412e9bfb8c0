from odoo import api, fields, models


class CrmSyncBinding(models.Model):
    """One local record <-> one remote item for one account: the sync's status row."""

    _name = "crm.sync.binding"
    _description = "CRM sync binding"
    _order = "id"
    _rec_name = "remote_id"

    account_id = fields.Many2one("crm.sync.account", required=True, ondelete="cascade",
                                 index=True)
    kind = fields.Char(required=True, help="contacts, events or tasks")
    res_model = fields.Char("Model", required=True)
    res_id = fields.Integer("Record ID", index=True)
    remote_id = fields.Char("Remote ID")
    remote_version = fields.Char(help="ETag or change key of the remote item when last synced")
    local_hash = fields.Char(help="Content hash of the mapped Odoo values last synced")
    remote_hash = fields.Char(help="Content hash of the mapped remote values last synced")
    local_tag = fields.Char(help="Tag put on the remote item at creation, to find it again "
                                 "when the create answer was lost")
    dirty = fields.Boolean(help="A synced field changed in Odoo since the last sync")
    local_changed_at = fields.Datetime(help="When Odoo's side last changed (Odoo's clock)")
    tombstone = fields.Boolean(help="The Odoo record was deleted; the remote side has not "
                                    "been told yet")
    pending_create = fields.Boolean(help="Sent to the remote side, answer not seen yet")
    last_sync_at = fields.Datetime()
    record_name = fields.Char(compute="_compute_record_name")

    _sql_constraints = [
        ("remote_unique", "unique(account_id, res_model, remote_id)",
         "A remote item is bound once per account."),
        ("local_unique", "unique(account_id, res_model, res_id)",
         "An Odoo record is bound once per account."),
    ]

    def init(self):
        # Runs look bindings up by these; dirty ones are few, so a partial index.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_sync_binding_model_res_idx
                ON crm_sync_binding (res_model, res_id);
            CREATE INDEX IF NOT EXISTS crm_sync_binding_todo_idx
                ON crm_sync_binding (account_id, res_model)
                WHERE dirty OR tombstone OR pending_create;
        """)

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        # One existence check per model, not per binding: lists show many rows.
        names = {}
        for model in set(self.mapped("res_model")):
            if model not in self.env:
                continue
            ids = [b.res_id for b in self if b.res_model == model and b.res_id]
            for record in self.env[model].sudo().browse(ids).exists():
                names[(model, record.id)] = record.display_name
        for binding in self:
            binding.record_name = names.get((binding.res_model, binding.res_id), False)

    @api.model
    def _insert_synced(self, account_id: int, kind: str, model: str, rows: list[tuple]):
        """Insert the bindings of items just created on one side, in one statement.

        ``rows``: (res_id, remote_id, remote_version, local_hash, remote_hash). A first
        sync writes thousands of them, and the ORM's create (defaults, cache,
        bookkeeping) cost half as much again as creating the partners themselves, for
        rows with no computed, related or tracked field to maintain. The SQL
        constraints still apply: a duplicate raises IntegrityError like create()."""
        if not rows:
            return
        res_ids, remote_ids, versions, local_hashes, remote_hashes = map(
            list, zip(*rows, strict=True))
        self.env.cr.execute(
            """INSERT INTO crm_sync_binding
                   (account_id, kind, res_model, res_id, remote_id, remote_version,
                    local_hash, remote_hash, last_sync_at,
                    create_uid, write_uid, create_date, write_date)
               SELECT %(account)s, %(kind)s, %(model)s, r.res_id, r.remote_id, r.version,
                      r.local_hash, r.remote_hash, now() at time zone 'UTC',
                      %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                 FROM unnest(%(res_ids)s::int[], %(remote_ids)s::varchar[],
                             %(versions)s::varchar[], %(local_hashes)s::varchar[],
                             %(remote_hashes)s::varchar[])
                      AS r(res_id, remote_id, version, local_hash, remote_hash)""",
            {"account": account_id, "kind": kind, "model": model, "uid": self.env.uid,
             "res_ids": res_ids, "remote_ids": remote_ids, "versions": versions,
             "local_hashes": local_hashes, "remote_hashes": remote_hashes},
        )
        self.invalidate_model()

    def _mark(self, model: str, ids: list[int], *, tombstone: bool = False):
        """Flag the bindings of these records (all accounts) as changed in Odoo.

        One UPDATE for the whole batch: this runs inside every write() of a synced
        model, so it must cost one query, not one per record or per account. The time
        is the statement's, not the transaction's start: a long transaction must not
        make an edit look older than a remote one made while it ran."""
        if not ids:
            return
        self.env.cr.execute(
            f"""UPDATE crm_sync_binding
                   SET dirty = true, local_changed_at = (clock_timestamp() at time zone 'UTC')
                       {', tombstone = true' if tombstone else ''}
                 WHERE res_model = %s AND res_id = ANY(%s)""",
            (model, list(ids)),
        )
        if self.env.cr.rowcount:
            self.invalidate_model(["dirty", "local_changed_at", "tombstone"])
