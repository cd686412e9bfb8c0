from odoo import fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.social.profile.mixin"]
    _social_message_link = "lead_id"

    social_message_ids = fields.One2many("crm.social.message", "lead_id", "Social messages")

    def _social_fill_map(self):
        return dict({"contact_name": "name"},
                    **super()._social_fill_map())
