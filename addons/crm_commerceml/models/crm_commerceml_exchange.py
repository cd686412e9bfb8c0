import json

from odoo import _, api, fields, models


class CrmCommercemlExchange(models.Model):
    """One exchange: the journal entry 1C's "События загрузки/выгрузки" correspond to.

    It also holds the state of a step-wise import (which file, how far), so a repeated
    or retried ``mode=import`` continues where the last committed batch ended.
    """

    _name = "crm.commerceml.exchange"
    _description = "CommerceML exchange"
    _order = "id desc"
    _rec_name = "name"

    name = fields.Char("Number", readonly=True, default="/", copy=False)
    date_start = fields.Datetime("Started", default=fields.Datetime.now, readonly=True)
    date_end = fields.Datetime("Finished", readonly=True)
    # both roles share one history: 1C connecting to Odoo, and Odoo playing 1C toward
    # a web shop (crm.commerceml.shop)
    direction = fields.Selection(
        [("from_1c", "From 1C"), ("to_1c", "To 1C"), ("to_shop", "To shop"),
         ("from_shop", "From shop")], required=True, readonly=True)
    counterpart = fields.Selection(
        [("1c", "1C"), ("shop", "Web shop")], string="With", compute="_compute_counterpart",
        store=True, help="Whether this exchange was with 1C or with a web shop.")
    shop_id = fields.Many2one("crm.commerceml.shop", "Shop", readonly=True,
                              index="btree_not_null", ondelete="set null")
    shop_log = fields.Text("Shop replies", readonly=True,
                           help="What the shop answered at each step, in its own words.")
    exchange_type = fields.Selection(
        [("catalog", "Catalog"), ("sale", "Orders"), ("auth", "Sign-in")],
        string="Type", required=True, readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Success"), ("failed", "Failed")],
        default="running", required=True, readonly=True)
    user_id = fields.Many2one("res.users", "Exchanged as", readonly=True)
    remote_addr = fields.Char("From address", readonly=True)
    files = fields.Text(readonly=True)
    created_count = fields.Integer("Created", readonly=True)
    updated_count = fields.Integer("Updated", readonly=True)
    unchanged_count = fields.Integer("Unchanged", readonly=True)
    failed_count = fields.Integer("Failed", readonly=True)
    sent_count = fields.Integer("Sent", readonly=True,
                                help="Web shops: products pushed, or orders sent back.")
    archived_count = fields.Integer("Archived", readonly=True)
    error = fields.Text("Error", readonly=True)
    line_ids = fields.One2many("crm.commerceml.exchange.line", "exchange_id", "Failed items",
                               readonly=True)
    order_ids = fields.Many2many("sale.order", string="Orders", readonly=True)
    # JSON: {"files": {name: {"position": n, "done": bool, "only_changes": bool}},
    #        "query_at": iso datetime of the orders query 1C has not yet confirmed}
    progress_state = fields.Text(readonly=True, groups="base.group_system")

    @api.depends("direction")
    def _compute_counterpart(self):
        for exchange in self:
            exchange.counterpart = "shop" if exchange.direction in ("to_shop", "from_shop") \
                else "1c"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code(
                    "crm.commerceml.exchange") or "/"
        return super().create(vals_list)

    def _state_get(self):
        self.ensure_one()
        return json.loads(self.sudo().progress_state or "{}")

    def _state_set(self, state):
        self.ensure_one()
        self.sudo().progress_state = json.dumps(state, ensure_ascii=False)

    def _add_counts(self, counts):
        self.ensure_one()
        self.sudo().write({
            f"{key}_count": self[f"{key}_count"] + value for key, value in counts.items()
            if value})

    def _add_failures(self, failures):
        """failures: [(1C id, name, message)]."""
        if failures:
            self.sudo().write({"line_ids": [
                (0, 0, {"item_ref": ref or "", "item_name": name or "", "message": message})
                for ref, name, message in failures]})

    def _finish(self, state, error=None):
        self.sudo().write({"state": state, "date_end": fields.Datetime.now(),
                           **({"error": error} if error else {})})

    def action_open_failed_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Failed items of %s", self.name),
            "res_model": "crm.commerceml.exchange.line",
            "view_mode": "list",
            "domain": [("exchange_id", "=", self.id)],
        }


class CrmCommercemlExchangeLine(models.Model):
    _name = "crm.commerceml.exchange.line"
    _description = "CommerceML exchange: a failed item"
    _order = "id"

    exchange_id = fields.Many2one("crm.commerceml.exchange", required=True, ondelete="cascade",
                                  index=True)
    item_ref = fields.Char("1C id")
    item_name = fields.Char("Item")
    message = fields.Text(required=True)
