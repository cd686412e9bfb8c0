from odoo import api, fields, models


class CrmSyncMenu(models.TransientModel):
    """The "Synchronize" entry of the Contacts and Calendar views' gear menu (seed 000,
    static/src/synchronize_menu): the user's accounts with Sync now / Configure, and
    Add account."""

    _name = "crm.sync.menu"
    _description = "Synchronize"

    account_ids = fields.Many2many("crm.sync.account", string="Your sync accounts",
                                   default=lambda self: self._default_accounts())

    @api.model
    def _default_accounts(self):
        return self.env["crm.sync.account"].search([("user_id", "=", self.env.uid)])

    def action_add_account(self):
        return {
            "type": "ir.actions.act_window", "name": self.env._("Add account for sync"),
            "res_model": "crm.sync.account", "view_mode": "form",
            "views": [(False, "form")], "target": "current",
        }
