from odoo import fields, models


class UomUom(models.Model):
    _inherit = "uom.uom"

    cml_code = fields.Char("OKEI code", help="The code 1C sends with the unit (796 = piece).")
