from odoo import _, api, fields, models
from odoo.exceptions import UserError

DEFAULT_FNS_URL = "https://fias.nalog.ru"
DEFAULT_DADATA_URL = "https://suggestions.dadata.ru/suggestions/api/4_1/rs"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    kladr_source = fields.Selection(
        [("local", "Loaded classifier (KLADR / FIAS)"), ("dadata", "DaData (online)")],
        string="Address suggestions from", default="local",
        config_parameter="crm_kladr.source")
    kladr_fns_url = fields.Char(
        "FNS download service", config_parameter="crm_kladr.fns_url",
        default=DEFAULT_FNS_URL,
        help="Address of the FNS download service that announces new KLADR and GAR "
             "archives (its GetLastDownloadFileInfo method).")
    kladr_update_format = fields.Selection(
        [("kladr", "KLADR (7z of DBF)"), ("gar", "FIAS / GAR (XML)")],
        string="Update with", default="kladr", config_parameter="crm_kladr.update_format")
    kladr_fns_protocol = fields.Selection(
        [("json", "JSON"), ("soap", "SOAP (WSDL)")], string="Service protocol",
        default="json", config_parameter="crm_kladr.fns_protocol")
    kladr_auto_update = fields.Boolean(
        "Update automatically", compute="_compute_kladr_auto_update",
        inverse="_inverse_kladr_auto_update")
    kladr_dadata_url = fields.Char("DaData suggestions API",
                                   config_parameter="crm_kladr.dadata_url",
                                   default=DEFAULT_DADATA_URL)
    # Write-only: the saved token is never sent back to the browser.
    kladr_dadata_token = fields.Char("DaData API key", compute="_compute_kladr_dadata_token",
                                     inverse="_inverse_kladr_dadata_token")
    kladr_dadata_token_set = fields.Boolean(compute="_compute_kladr_dadata_token")

    def _compute_kladr_auto_update(self):
        cron = self.env.ref("crm_kladr.ir_cron_kladr_update", raise_if_not_found=False)
        for settings in self:
            settings.kladr_auto_update = bool(cron and cron.active)

    def _inverse_kladr_auto_update(self):
        cron = self.env.ref("crm_kladr.ir_cron_kladr_update", raise_if_not_found=False)
        if cron:
            cron.sudo().active = self[:1].kladr_auto_update

    def action_kladr_check_updates(self):
        """Queue the check for the background job: a download and import take minutes,
        longer than a web request may last."""
        self.execute()
        self.env["ir.config_parameter"].sudo().set_param("crm_kladr.update_requested", "1")
        self.env.ref("crm_kladr.ir_cron_kladr_import")._trigger()
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "info", "title": _("Address classifier"),
                           "message": _("The FNS download service will be asked in a "
                                        "moment; a newer release is imported in the "
                                        "background and listed in CRM → Configuration → "
                                        "Address Classifier."),
                           "next": {"type": "ir.actions.act_window_close"}}}

    @api.depends("kladr_source")
    def _compute_kladr_dadata_token(self):
        saved = bool(self.env["ir.config_parameter"].sudo().get_param("crm_kladr.dadata_token"))
        for settings in self:
            settings.kladr_dadata_token = False
            settings.kladr_dadata_token_set = saved

    def _inverse_kladr_dadata_token(self):
        for settings in self:
            if settings.kladr_dadata_token:
                self.env["ir.config_parameter"].sudo().set_param(
                    "crm_kladr.dadata_token", settings.kladr_dadata_token.strip())

    def set_values(self):
        super().set_values()
        source = self.env["ir.config_parameter"].sudo().get_param("crm_kladr.source")
        if source == "dadata" and not self.env["ir.config_parameter"].sudo().get_param(
                "crm_kladr.dadata_token"):
            raise UserError(_("Enter the DaData API key to use DaData for address "
                              "suggestions (dadata.ru → Profile → API keys)."))
