from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..utils.errors import SocialError


class CrmSocialImport(models.TransientModel):
    """Fill the empty fields of a saved record from a VK, Facebook or X profile."""

    _name = "crm.social.import"
    _inherit = "crm.social.record.wizard"
    _description = "Import a social network profile"

    url = fields.Char("Profile URL", required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if values.get("res_model") and values.get("res_id") and not values.get("url"):
            record = self.env[values["res_model"]].browse(values["res_id"])
            filled = record._social_networks_filled()
            if filled:
                values["url"] = record[record._social_url_field(filled[0])]
        return values

    def action_import(self):
        self.ensure_one()
        record = self._record("write")
        try:
            found = self.env["crm.social.service"]._fetch_profile(self.url)
        except SocialError as exc:
            raise UserError(exc.translated(self.env._)) from None
        filled = record._social_apply_profile(found)
        if filled:
            message = _("Filled from the profile: %s.", ", ".join(filled))
        else:
            message = _("Nothing to fill: every field the profile gives is already filled "
                        "on this record (filled fields are never overwritten).")
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": _("Import from profile"), "message": message,
            "type": "success" if filled else "info",
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}
