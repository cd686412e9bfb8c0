from odoo import fields, models


class CrmExchangeFolder(models.Model):
    """A contact folder of the account's mailbox, as Exchange listed it (filled by
    "Refresh folders"): the user ticks the ones to import from."""

    _name = "crm.exchange.folder"
    _description = "Exchange contact folder"
    _order = "path, id"
    _rec_name = "path"

    account_id = fields.Many2one("crm.sync.account", required=True, ondelete="cascade",
                                 index=True)
    remote_id = fields.Char(required=True)
    name = fields.Char(required=True)
    path = fields.Char(required=True)
    parent_remote_id = fields.Char()
    active = fields.Boolean(default=True, help="Archived when it disappears from the mailbox.")

    _sql_constraints = [
        ("account_remote_unique", "unique(account_id, remote_id)",
         "A folder is listed once per account."),
    ]
