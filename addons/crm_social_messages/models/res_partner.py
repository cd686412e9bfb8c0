from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.social.profile.mixin"]
    _social_message_link = "partner_id"

    social_message_ids = fields.One2many("crm.social.message", "partner_id", "Social messages")

    def _social_fill_map(self):
        return dict({"name": "name", "image_1920": "image"},
                    **super()._social_fill_map())
