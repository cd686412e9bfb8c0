from odoo import fields, models


class CrmCommercemlPriceType(models.Model):
    """A price type (ТипЦены) as 1C sent it; Settings chooses the one that sets prices."""

    _name = "crm.commerceml.price.type"
    _description = "1C price type"
    _order = "name"

    name = fields.Char(required=True)
    cml_id = fields.Char("1C id", required=True, index=True)
    currency_code = fields.Char("Currency (as 1C writes it)")

    _sql_constraints = [("cml_id_unique", "unique(cml_id)", "A 1C price type is stored once.")]
