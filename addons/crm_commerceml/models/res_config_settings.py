from odoo import api, fields, models

PARAM = "crm_commerceml."
DEFAULT_FILE_LIMIT = 100 * 1024 * 1024
STATE_CHOICES = [("draft", "Quotation"), ("sale", "Sales Order"),
                 ("locked", "Sales Order, locked (done)"), ("cancel", "Cancelled")]
DEFAULT_STATES = {"not_posted": "draft", "posted": "sale", "paid": "locked",
                  "deleted": "cancel"}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cml_enabled = fields.Boolean("1C exchange", config_parameter=PARAM + "enabled")
    cml_price_type_id = fields.Many2one(
        "crm.commerceml.price.type", "Price type",
        config_parameter=PARAM + "price_type_id",
        help="The 1C price type that sets the sales price. Empty: the first one 1C sends.")
    cml_warehouse_id = fields.Many2one(
        "stock.warehouse", "Warehouse for 1C stock", config_parameter=PARAM + "warehouse_id",
        help="Stock quantities from 1C are set in this warehouse's stock location.")
    cml_file_limit = fields.Integer(
        "File size limit (bytes)", config_parameter=PARAM + "file_limit",
        default=DEFAULT_FILE_LIMIT,
        help="1C splits files larger than this; an upload or an unpacked archive "
             "larger than this is refused.")
    cml_zip = fields.Boolean("Accept zip archives", config_parameter=PARAM + "zip")
    cml_state_not_posted = fields.Selection(STATE_CHOICES, "Not posted in 1C",
                                            config_parameter=PARAM + "state_not_posted",
                                            default=DEFAULT_STATES["not_posted"])
    cml_state_posted = fields.Selection(STATE_CHOICES, "Posted, not paid",
                                        config_parameter=PARAM + "state_posted",
                                        default=DEFAULT_STATES["posted"])
    cml_state_paid = fields.Selection(STATE_CHOICES, "Posted and paid",
                                      config_parameter=PARAM + "state_paid",
                                      default=DEFAULT_STATES["paid"])
    cml_state_deleted = fields.Selection(STATE_CHOICES, "Marked for deletion",
                                         config_parameter=PARAM + "state_deleted",
                                         default=DEFAULT_STATES["deleted"])
    cml_exchange_url = fields.Char("Exchange URL for 1C", compute="_compute_cml_exchange_url")

    @api.depends("cml_enabled")
    def _compute_cml_exchange_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for settings in self:
            settings.cml_exchange_url = base.rstrip("/") + "/1c_exchange.php"

    def action_cml_open_journal(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_commerceml.action_crm_commerceml_exchange")
