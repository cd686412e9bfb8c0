from odoo import fields, models


class CrmSyncSecret(models.Model):
    """Credentials of sync accounts, kept apart so that only administrators can read
    them through any RPC; the owner's code path reads them with sudo after checking
    ownership (crm.sync.account._sync_credentials)."""

    _name = "crm.sync.secret"
    _description = "CRM sync account secret"
    _log_access = False

    account_id = fields.Many2one("crm.sync.account", required=True, ondelete="cascade",
                                 index=True)
    key = fields.Char(required=True)
    value = fields.Char(required=True)

    _sql_constraints = [
        ("account_key_unique", "unique(account_id, key)", "A secret is stored once per key."),
    ]
