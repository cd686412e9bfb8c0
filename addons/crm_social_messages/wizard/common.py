from odoo import _, fields, models
from odoo.exceptions import UserError

MODELS = [("res.partner", "Contact"), ("crm.lead", "Lead")]


class CrmSocialRecordWizard(models.AbstractModel):
    """A wizard opened from one partner or lead."""

    _name = "crm.social.record.wizard"
    _description = "Wizard on a contact or lead"

    res_model = fields.Selection(MODELS, required=True)
    res_id = fields.Integer(required=True)

    def _record(self, mode="read"):
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            raise UserError(_("This record no longer exists."))
        record.check_access(mode)
        return record
