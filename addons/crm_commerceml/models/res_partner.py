from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    cml_id = fields.Char("1C id", index="btree_not_null", copy=False, readonly=True)
    cml_kpp = fields.Char("KPP", help="КПП: the Russian tax registration reason code 1C "
                                      "uses with the ИНН (VAT field) to find a counterparty.")
