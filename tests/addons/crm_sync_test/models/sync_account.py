from odoo import fields, models


class CrmSyncAccount(models.Model):
    _inherit = "crm.sync.account"

    provider = fields.Selection(selection_add=[("test", "Test provider")],
                                ondelete={"test": "cascade"})
    test_category_id = fields.Many2one("res.partner.category", "Synced category")

    def _sync_settings_dict(self):
        settings = super()._sync_settings_dict()
        if self.provider == "test":
            settings["category_id"] = self.test_category_id.id
        return settings
