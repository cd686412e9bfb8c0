from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    cml_id = fields.Char("1C id", index="btree_not_null", copy=False, readonly=True)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # hidden 1C ids: the second key of the seed's matching (after name + article)
    cml_id = fields.Char("1C id", index="btree_not_null", copy=False, readonly=True)
    cml_properties = fields.Text("1C properties", readonly=True,
                                 help="Property values 1C sent (Свойства), one per line.")
    cml_image_hash = fields.Char(copy=False, readonly=True,
                                 help="SHA-1 of the image 1C sent last")


class ProductProduct(models.Model):
    _inherit = "product.product"

    # not cml_id: product.product inherits the template's cml_id, which a create of
    # variants with template values must reach
    cml_variant_id = fields.Char("1C variant id", index="btree_not_null", copy=False,
                                 readonly=True,
                                 help="product#characteristic id of a 1C characteristic")
