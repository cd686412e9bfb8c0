from odoo import api, fields, models

# set while the exchange itself writes orders, so its own changes are not sent back
SYNC_CONTEXT_KEY = "crm_commerceml_sync"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    cml_number_1c = fields.Char("Number in 1C", readonly=True, copy=False, tracking=True)
    cml_date_1c = fields.Date("Date in 1C", readonly=True, copy=False)
    # set by a person's change; the next ``mode=query`` sends the order, ``mode=success``
    # clears it when nothing changed after the query
    cml_changed_at = fields.Datetime("Changed for 1C", readonly=True, copy=False,
                                     index="btree_not_null")

    # the web-shop role: an order that came from a shop keeps the shop's number (the
    # seed's hidden "from_site"); orders made by hand have none
    cml_shop_id = fields.Many2one("crm.commerceml.shop", "From shop", readonly=True,
                                  copy=False, index="btree_not_null", ondelete="restrict")
    cml_shop_number = fields.Char("Number in the shop", readonly=True, copy=False)
    # the shop's own order date: Odoo re-dates a sales order when it is confirmed
    cml_shop_date = fields.Datetime("Date in the shop", readonly=True, copy=False)
    # changed by a person since the shop last got it: sent back at the next order pull
    cml_shop_dirty = fields.Boolean("Changed for the shop", readonly=True, copy=False)

    _sql_constraints = [
        ("cml_shop_number_unique", "unique(cml_shop_id, cml_shop_number)",
         "An order of a web shop is kept once."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(SYNC_CONTEXT_KEY):
            now = fields.Datetime.now()
            for vals in vals_list:
                vals.setdefault("cml_changed_at", now)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get(SYNC_CONTEXT_KEY) and "cml_changed_at" not in vals:
            vals = dict(vals, cml_changed_at=fields.Datetime.now())
        result = super().write(vals)
        if not self.env.context.get(SYNC_CONTEXT_KEY) and "cml_shop_dirty" not in vals:
            from_shop = self.filtered(lambda o: o.cml_shop_id and not o.cml_shop_dirty)
            if from_shop:
                super(SaleOrder, from_shop).write({"cml_shop_dirty": True})
        return result

    def _cml_mark_changed(self):
        if self and not self.env.context.get(SYNC_CONTEXT_KEY):
            self.sudo().write({"cml_changed_at": fields.Datetime.now()})


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._cml_mark_changed()
        return lines

    def write(self, vals):
        orders = self.order_id
        result = super().write(vals)
        orders._cml_mark_changed()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders._cml_mark_changed()
        return result

