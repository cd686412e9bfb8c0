from odoo import models


class CrmSyncMenu(models.TransientModel):
    _inherit = "crm.sync.menu"

    def action_add_account(self):
        """Seed 000 step 3: choose the mail provider first (MS Exchange here; other
        connectors keep the generic form)."""
        return {
            "type": "ir.actions.act_window", "name": self.env._("Add account for sync"),
            "res_model": "crm.exchange.add.account", "view_mode": "form",
            "views": [(False, "form")], "target": "new",
        }
