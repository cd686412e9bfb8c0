from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_google_client_id = fields.Char(
        "Google client ID", config_parameter="crm_google_sync.client_id",
        help="OAuth client ID of a Google Cloud project (APIs & Services > Credentials, "
             "type Web application), with the People and Calendar APIs enabled.")
    # Write-only: the stored secret is never sent back to a browser.
    crm_google_client_secret = fields.Char(
        "Google client secret", groups="base.group_system",
        help="Stored, never shown again; leave empty to keep the stored one.")
    crm_google_client_secret_set = fields.Boolean(
        "Client secret stored", compute="_compute_crm_google_redirect_uri")
    crm_google_redirect_uri = fields.Char(
        "Authorized redirect URI", compute="_compute_crm_google_redirect_uri")

    def _compute_crm_google_redirect_uri(self):
        uri = self.env["crm.sync.account"]._oauth_redirect_uri()
        stored = bool(self.env["ir.config_parameter"].sudo().get_param(
            "crm_google_sync.client_secret"))
        for settings in self:
            settings.crm_google_redirect_uri = uri
            settings.crm_google_client_secret_set = stored

    def set_values(self):
        super().set_values()
        if self.crm_google_client_secret and self.env.user.has_group("base.group_system"):
            self.env["ir.config_parameter"].sudo().set_param(
                "crm_google_sync.client_secret", self.crm_google_client_secret.strip())
