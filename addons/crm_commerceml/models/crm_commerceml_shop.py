"""The web-shop role: Odoo plays 1C:Enterprise toward a shop's exchange endpoint.

A shop connection pushes the catalog (import.xml + offers.xml per chosen category tree)
and pulls the shop's orders on two schedules. The protocol is utils/shop_client.py, the
files utils/writer.py and utils/reader.py (the same as the 1C role's), the orders go
through crm.commerceml.importer; every exchange is a crm.commerceml.exchange entry.
"""

import logging
import os
import re
import tempfile
from datetime import datetime

import pytz

from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.models.sync_runner import can_commit
from odoo.exceptions import AccessError, UserError, ValidationError

from ..utils import reader, writer
from ..utils.shop_client import ShopClient, ShopError
from .crm_commerceml_importer import ItemError
from .res_config_settings import STATE_CHOICES
from .sale_order import SYNC_CONTEXT_KEY

_logger = logging.getLogger(__name__)

SHOP_CONTEXT_KEY = "crm_commerceml_shop_id"
PRICE_TYPE_ID = "odoo-sales-price"
ORDER_BATCH = 200
EXCHANGE_LOCK_KEY = 0x434D4C  # "CML": the first key of the shops' advisory locks
INTERVAL_TYPES = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days"),
                  ("weeks", "Weeks")]
# what a fresh 1C-Bitrix site has (Магазин > Настройки > Статусы)
DEFAULT_STATUSES = [("N", "Принят, ожидается оплата", "draft"),
                    ("P", "Оплачен, формируется к отправке", "sale"),
                    ("F", "Выполнен", "locked")]
_STATUS_CODE = re.compile(r"^\s*\[([^\]]+)\]")


class CrmCommercemlShop(models.Model):
    _name = "crm.commerceml.shop"
    _inherit = ["crm.write.only.secret.mixin"]
    _description = "Web shop exchanged with by CommerceML"
    _order = "name, id"
    _write_only_secrets = {"password": ("password_secret", "password_set")}

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    url = fields.Char(
        "Exchange URL", required=True,
        help="The shop's 1C exchange address, usually ending in 1c_exchange.php "
             "(1C-Bitrix: https://shop.example/bitrix/admin/1c_exchange.php).")
    login = fields.Char(help="The shop administrator's login.")
    # write-only: the form sends it, nothing ever reads it back
    password = fields.Char(compute="_compute_write_only_secrets",
                           inverse="_inverse_write_only_secrets",
                           help="The shop administrator's password. Kept where only "
                                "administrators can read it; never shown again after saving.")
    password_secret = fields.Char("Stored password", groups="base.group_system", copy=False)
    password_set = fields.Boolean("Password stored", compute="_compute_write_only_secrets")
    user_id = fields.Many2one(
        "res.users", "Responsible for shop orders", required=True,
        default=lambda self: self.env.user,
        help="Salesperson of the orders that come from this shop.")
    company_id = fields.Many2one("res.company", required=True,
                                 default=lambda self: self.env.company)
    pricelist_id = fields.Many2one(
        "product.pricelist", "Pricelist of shop orders",
        help="Orders from the shop are created with this pricelist; its currency must be "
             "the shop's. Empty: the customer's pricelist.")
    use_zip = fields.Boolean(
        "Send zipped", default=True,
        help="Send the catalog as one zip archive when the shop says it accepts zip.")
    category_ids = fields.Many2many(
        "product.category", string="Catalogs",
        help="Each category, with its subcategories, is sent as one catalog. Empty: one "
             "catalog with every product that can be sold.")
    status_ids = fields.One2many(
        "crm.commerceml.shop.status", "shop_id", "Order statuses", copy=True,
        default=lambda self: [(0, 0, {"code": code, "name": name, "order_state": state})
                              for code, name, state in DEFAULT_STATUSES])
    timeout = fields.Integer("Timeout (seconds)", default=60,
                             help="How long to wait for each answer of the shop.")
    state = fields.Selection([("new", "Never exchanged"), ("ok", "Working"),
                              ("error", "Needs attention")], default="new", readonly=True,
                             copy=False)
    last_error = fields.Text("Last error", readonly=True, copy=False)
    last_push_at = fields.Datetime("Last catalog push", readonly=True, copy=False)
    last_pull_at = fields.Datetime("Last order pull", readonly=True, copy=False)
    exchange_ids = fields.One2many("crm.commerceml.exchange", "shop_id", "Exchanges")
    exchange_count = fields.Integer("Exchange count", compute="_compute_exchange_count")
    order_count = fields.Integer("Order count", compute="_compute_exchange_count")
    # the two scheduled actions serve every shop; their frequency is edited here
    push_interval_number = fields.Integer("Push the catalog every",
                                          compute="_compute_intervals",
                                          inverse="_inverse_push_interval")
    push_interval_type = fields.Selection(INTERVAL_TYPES, "Push unit", compute="_compute_intervals",
                                          inverse="_inverse_push_interval")
    pull_interval_number = fields.Integer("Pull orders every", compute="_compute_intervals",
                                          inverse="_inverse_pull_interval")
    pull_interval_type = fields.Selection(INTERVAL_TYPES, "Pull unit", compute="_compute_intervals",
                                          inverse="_inverse_pull_interval")

    _sql_constraints = [("timeout_positive", "CHECK(timeout > 0)",
                         "The timeout must be positive.")]

    # -- fields ---------------------------------------------------------------------------

    def _inverse_write_only_secrets(self):
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only administrators may set the password of a shop."))
        return super()._inverse_write_only_secrets()

    def _compute_exchange_count(self):
        exchanges = dict(self.env["crm.commerceml.exchange"]._read_group(
            [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]))
        orders = dict(self.env["sale.order"]._read_group(
            [("cml_shop_id", "in", self.ids)], ["cml_shop_id"], ["__count"]))
        for shop in self:
            shop.exchange_count = exchanges.get(shop, 0)
            shop.order_count = orders.get(shop, 0)

    def _cron(self, kind):
        return self.env.ref(f"crm_commerceml.ir_cron_shop_{kind}", raise_if_not_found=False)

    def _compute_intervals(self):
        push, pull = self._cron("push").sudo(), self._cron("pull").sudo()
        for shop in self:
            shop.push_interval_number = push.interval_number if push else 0
            shop.push_interval_type = push.interval_type if push else False
            shop.pull_interval_number = pull.interval_number if pull else 0
            shop.pull_interval_type = pull.interval_type if pull else False

    def _write_cron(self, kind, number, interval_type):
        cron = self._cron(kind)
        if not cron or not number:
            return
        if number < 1:
            raise ValidationError(_("The exchange frequency must be at least 1."))
        self.env["ir.cron"].check_access("write")
        cron.sudo().write({"interval_number": number,
                           "interval_type": interval_type or cron.interval_type})

    def _inverse_push_interval(self):
        for shop in self[:1]:
            self._write_cron("push", shop.push_interval_number, shop.push_interval_type)

    def _inverse_pull_interval(self):
        for shop in self[:1]:
            self._write_cron("pull", shop.pull_interval_number, shop.pull_interval_type)

    @api.constrains("url")
    def _check_url(self):
        for shop in self:
            if not re.match(r"^https?://[^\s/]+", shop.url or ""):
                raise ValidationError(_(
                    "The exchange URL of %s must start with http:// or https://.", shop.name))

    # -- actions --------------------------------------------------------------------------

    def action_push_catalog(self):
        self._check_run_access()
        exchanges = self.env["crm.commerceml.exchange"]
        for shop in self:
            exchanges |= shop._push_catalog()
        return self._notify(exchanges, _("Catalog push"))

    def action_pull_orders(self):
        self._check_run_access()
        exchanges = self.env["crm.commerceml.exchange"]
        for shop in self:
            exchanges |= shop._pull_orders()
        return self._notify(exchanges, _("Order pull"))

    def action_open_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_commerceml.action_crm_commerceml_exchange")
        action.update(domain=[("shop_id", "=", self.id)], context={},
                      name=_("Exchanges with %s", self.name))
        return action

    def action_open_orders(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "name": _("Orders from %s", self.name),
                "res_model": "sale.order", "view_mode": "list,form",
                "domain": [("cml_shop_id", "=", self.id)]}

    def _check_run_access(self):
        if not self.env.user.has_group("base.group_system") and not self.env.su:
            raise AccessError(_("Only administrators may run an exchange with a shop."))

    def _notify(self, exchanges, title):
        failed = exchanges.filtered(lambda e: e.state == "failed")
        if failed:
            message = "\n".join(f"{e.shop_id.name}: {e.error}" for e in failed)
        else:
            lines = []
            for e in exchanges:
                lines.append(_("%(shop)s: done: %(sent)s sent, %(created)s created, "
                               "%(updated)s updated, %(failed)s failed.",
                               shop=e.shop_id.name, sent=e.sent_count,
                               created=e.created_count, updated=e.updated_count,
                               failed=e.failed_count))
            message = "\n".join(lines)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": title, "message": message, "sticky": bool(failed),
            "type": "danger" if failed else "success",
            # closing reloads the form the button is on (soft_reload would reopen "new")
            "next": {"type": "ir.actions.act_window_close"}}}

    # -- scheduled actions ------------------------------------------------------------------

    @api.model
    def _cron_push_catalogs(self):
        self.search([])._cron_each("_push_catalog")

    @api.model
    def _cron_pull_orders(self):
        self.search([])._cron_each("_pull_orders")

    def _cron_each(self, method):
        """One shop's unexpected crash is logged and does not stop the others."""
        for shop in self:
            if not can_commit(self.env):
                getattr(shop, method)()
                continue
            try:
                getattr(shop, method)()
            except Exception:
                _logger.exception("CommerceML exchange with shop %s crashed", shop.name)
                self.env.cr.rollback()
                # the entry committed at its start would otherwise stay running
                self.env["crm.commerceml.exchange"].sudo().search([
                    ("shop_id", "=", shop.id), ("state", "=", "running")])._finish(
                    "failed", _("Odoo failed during this exchange; the server log has "
                                "the details."))
                shop.sudo().write({"state": "error", "last_error": _(
                    "Odoo failed during the last exchange; the server log has the details.")})
                self.env.cr.commit()

    # -- one exchange -------------------------------------------------------------------------

    def _commit(self):
        if can_commit(self.env):
            self.env.cr.commit()

    def _client(self):
        self.ensure_one()
        shop = self.sudo()
        return ShopClient(shop.url, shop.login, shop.password_secret, timeout=shop.timeout,
                          allow_zip=shop.use_zip)

    def _run(self, direction, exchange_type, work):
        """Run ``work(exchange, client)`` as one journaled exchange. Any failure undoes
        what it wrote in Odoo and is journaled in the shop's own words: the next run
        starts over."""
        self.ensure_one()
        exchange = self.env["crm.commerceml.exchange"].sudo().create({
            "direction": direction, "exchange_type": exchange_type, "shop_id": self.id,
            "user_id": self.env.uid, "remote_addr": self.url})
        self._commit()  # the entry outlives a failure
        client = self._client()
        error = None
        # one exchange of a kind per shop at a time (a button pressed while the cron
        # runs), across workers and hosts; held until the final commit. A catalog push
        # and an order pull of the same shop do not wait for each other.
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                            [EXCHANGE_LOCK_KEY, self.id * 2 + (direction == "from_shop")])
        if not self.env.cr.fetchone()[0]:
            exchange._finish("failed", _("Another exchange with this shop was running; "
                                         "this one did not start."))
            self._commit()
            return exchange
        # holding the lock, any other running entry of this shop is an exchange that
        # died with its process (a restart, a killed worker)
        for stale in exchange.search([("shop_id", "=", self.id), ("state", "=", "running"),
                                      ("direction", "=", direction),
                                      ("id", "!=", exchange.id)]):
            stale._finish("failed", _("Interrupted: the server stopped during this "
                                      "exchange. The next exchange started over."))
        try:
            with self.env.cr.savepoint():
                work(exchange, client)
        except ShopError as exc:
            error = _("The exchange stopped at step %(step)s: %(message)s", step=exc.step,
                      message=exc.message)
        except reader.CommerceMLError as exc:
            error = _("The shop sent a file Odoo cannot read: %s", exc)
        except (UserError, ValidationError) as exc:
            error = exc.args[0] if exc.args else str(exc)
        values = {"shop_log": "\n".join(client.log)}
        if error:
            _logger.warning("CommerceML exchange %s with shop %s failed: %s", exchange.name,
                            self.name, error)
            exchange.write(values)
            exchange._finish("failed", error)
            self.sudo().write({"state": "error", "last_error": error})
        else:
            exchange.write(values)
            exchange._finish("done", exchange.error or None)
            self.sudo().write({"state": "ok", "last_error": exchange.error or False})
        self._commit()
        return exchange

    # -- catalog push -----------------------------------------------------------------------

    def _push_catalog(self):
        self.ensure_one()

        def work(exchange, client):
            with tempfile.TemporaryDirectory(prefix="cml_shop_") as folder:
                files, products = self._catalog_files(folder)
                exchange.files = "\n".join(os.path.basename(path) for path in files)
                client.push_catalog(files, archive_name="import_files.zip")
            exchange._add_counts({"sent": products})
            self.sudo().last_push_at = fields.Datetime.now()

        return self._run("to_shop", "catalog", work)

    def _catalog_roots(self):
        if self.category_ids:
            # a category whose parent is chosen too goes with its parent
            return self.category_ids.filtered(
                lambda c: not (c.parent_path and any(
                    int(pid) in self.category_ids.ids for pid in c.parent_path.split("/")[:-2]
                    if pid)))
        return self.env["product.category"]

    def _catalog_files(self, folder):
        """The files written in ``folder`` (paths, in import order), and how many products
        they carry. Streamed: a big catalog is never held in memory whole."""
        Category = self.env["product.category"]
        Product = self.env["product.product"].with_context(active_test=True)
        base = [("sale_ok", "=", True), ("company_id", "in", (False, self.company_id.id))]
        roots = self._catalog_roots()
        catalogs = []
        if roots:
            for root in roots:
                catalogs.append((f"odoo-catalog-{root.id}", root.name,
                                 Category.search([("id", "child_of", root.id)]),
                                 Product.search(base + [("categ_id", "child_of", root.id)],
                                                order="id")))
        else:
            products = Product.search(base, order="id")
            categories = products.categ_id
            categories |= Category.search([("id", "parent_of", categories.ids)])
            catalogs.append(("odoo-catalog-all", _("Products"), categories, products))
        files, count = [], 0
        for index, (catalog_id, name, categories, products) in enumerate(catalogs):
            header = {"id": catalog_id, "classifier_id": catalog_id + "-classifier",
                      "name": name, "catalog_id": catalog_id}
            import_path = os.path.join(folder, f"import{index}_1.xml")
            offers_path = os.path.join(folder, f"offers{index}_1.xml")
            currency = self.company_id.currency_id.name
            with open(import_path, "wb") as fh:
                fh.write(writer.BOM)
                writer.write_catalog(fh, header, self._group_tree(categories),
                                     (self._product_payload(p) for p in products))
            with open(offers_path, "wb") as fh:
                fh.write(writer.BOM)
                writer.write_offers(
                    fh, dict(header, id=catalog_id + "#", name=_("Offers of %s", name)),
                    [{"id": PRICE_TYPE_ID, "name": _("Sales Price"), "currency": currency}],
                    [], (self._offer_payload(p, currency) for p in products))
            files += [import_path, offers_path]
            count += len(products)
        return files, count

    @api.model
    def _category_ref(self, category):
        return category.cml_id or f"odoo-category-{category.id}"

    def _group_tree(self, categories):
        children = {}
        for category in categories.sorted("complete_name"):
            parent = category.parent_id if category.parent_id in categories else None
            children.setdefault(parent.id if parent else False, []).append(category)

        def node(category):
            return {"id": self._category_ref(category), "name": category.name,
                    "children": [node(c) for c in children.get(category.id, [])]}

        return [node(c) for c in children.get(False, [])]

    @api.model
    def _product_ref(self, product):
        # the ids the 1C role sends for orders too: a shop order names them back
        return product.cml_variant_id or product.product_tmpl_id.cml_id or \
            f"odoo-product-{product.id}"

    def _product_payload(self, product):
        uom = product.uom_id
        return {
            "id": self._product_ref(product),
            "name": product.with_context(display_default_code=False).display_name,
            "article": product.default_code or "",
            "barcode": product.barcode or "",
            "unit": {"code": uom.cml_code or "796", "name": uom.name},
            "group_ids": [self._category_ref(product.categ_id)] if product.categ_id else [],
            "description": product.description_sale or "",
            "taxes": [{"name": "НДС", "rate": t.amount} for t in product.taxes_id
                      if t.amount_type == "percent"],
            "is_service": product.type == "service",
        }

    def _offer_payload(self, product, currency):
        quantity = product.qty_available if product.is_storable else 0.0
        return {"id": self._product_ref(product),
                "name": product.with_context(display_default_code=False).display_name,
                "prices": [{"price_type_id": PRICE_TYPE_ID, "price": product.lst_price,
                            "currency": currency}],
                "quantity": max(quantity, 0.0)}

    # -- order pull ----------------------------------------------------------------------------

    def _pull_orders(self):
        self.ensure_one()

        def work(exchange, client):
            handle, path = tempfile.mkstemp(prefix="cml_shop_", suffix=".xml")
            try:
                with os.fdopen(handle, "wb") as fh:
                    client.query_orders(fh)
                touched, failed = self.env["crm.commerceml.importer"].with_context(
                    **{SHOP_CONTEXT_KEY: self.id, SYNC_CONTEXT_KEY: True}
                )._import_shop_orders(self, exchange, path)
            finally:
                os.remove(path)
            if failed:
                # without success the shop sends the same orders again: a failed one is
                # retried, the others only updated
                exchange.error = _(
                    "%s orders could not be imported (see the failed items); the shop was "
                    "not told the orders were taken, so it sends them again next time.",
                    failed)
            else:
                client.success()
            back = self.env["sale.order"].search([
                ("cml_shop_id", "=", self.id), ("cml_shop_dirty", "=", True),
                ("id", "not in", touched.ids)], order="id")
            if back:
                client.send_orders(writer.write_orders([self._order_back(o) for o in back]))
                exchange._add_counts({"sent": len(back)})
            (touched | back).with_context(**{SYNC_CONTEXT_KEY: True}).sudo().write(
                {"cml_shop_dirty": False})
            exchange.sudo().order_ids = [(6, 0, (touched | back).ids)]
            self.sudo().last_pull_at = fields.Datetime.now()

        return self._run("from_shop", "sale", work)

    def _status_target(self, document):
        """The Odoo state a shop order's status maps to; None leaves the state alone."""
        if document["cancelled"]:
            return "cancel"
        requisites = document["requisites"]
        text = requisites.get("Статус заказа") or document["status"] or ""
        code = requisites.get("Статуса заказа ИД") or requisites.get("Статус заказа ИД") or ""
        if not code:
            match = _STATUS_CODE.match(text)
            code = match.group(1) if match else text
        for row in self.status_ids:
            if row.code.strip().lower() in (code.strip().lower(), text.strip().lower()):
                return row.order_state
        return None

    def _status_of(self, order):
        state = "locked" if order.state == "sale" and order.locked else order.state
        row = self.status_ids.filtered(lambda r: r.order_state == state)[:1]
        return row.code if row else ""

    def _order_back(self, order):
        """An order as 1C sends it back to the shop: the shop's number, the mapped status."""
        payload = self.env["crm.commerceml.importer"]._order_payload(order)
        payload["id"] = payload["number"] = order.cml_shop_number
        status = self._status_of(order)
        payload["requisites"] = {
            **({"Статус заказа ИД": status} if status else {}),
            "Отменен": "true" if order.state == "cancel" else "false",
            "Номер по 1С": order.name,
            "Дата по 1С": fields.Date.to_string(order.date_order.date()),
        }
        return payload


class CrmCommercemlShopStatus(models.Model):
    _name = "crm.commerceml.shop.status"
    _description = "Web shop order status → sales order state"
    _order = "shop_id, sequence, id"

    shop_id = fields.Many2one("crm.commerceml.shop", required=True, ondelete="cascade",
                              index=True)
    sequence = fields.Integer(default=10)
    code = fields.Char("Status in the shop", required=True,
                       help="The status id the shop sends (Bitrix: N, P, F...) or its whole "
                            "name.")
    name = fields.Char("Description")
    order_state = fields.Selection(STATE_CHOICES, "Sales order state", required=True,
                                   default="draft")

    _sql_constraints = [("code_unique", "unique(shop_id, code)",
                         "Each shop status is mapped once.")]


class CrmCommercemlImporter(models.AbstractModel):
    """Orders from a shop: created or updated by the shop's number (never by Odoo's)."""

    _inherit = "crm.commerceml.importer"

    def _import_shop_orders(self, shop, exchange, path):
        """Import the shop's orders document; returns (orders touched, failed count)."""
        touched = self.env["sale.order"]
        failed = 0
        batch = []
        context = {"offer_caches": {"currencies": {}}, "partners": {}, "products": {}}
        # the line lookup of the shared order code reads the batch's products from here
        importer = self.with_context(cml_shop_products=context["products"])

        def flush():
            nonlocal touched, failed
            counts, failures, orders = importer._import_shop_documents(shop, batch, context)
            exchange._add_counts(counts)
            exchange._add_failures(failures)
            touched |= orders
            failed += counts.get("failed", 0)
            batch.clear()

        for kind, item in reader.iter_items(path):
            if kind != "document":
                continue
            batch.append(item)
            if len(batch) >= ORDER_BATCH:
                flush()
        if batch:
            flush()
        return touched, failed

    def _import_shop_documents(self, shop, documents, context):
        counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        failures = []
        Order = self.env["sale.order"].with_context(**{SYNC_CONTEXT_KEY: True})
        numbers = [d["number"] or d["id"] for d in documents]
        existing = {o.cml_shop_number: o for o in Order.search(
            [("cml_shop_id", "=", shop.id), ("cml_shop_number", "in", numbers)])}
        self._prefetch_shop_batch(documents, context)
        touched = Order.browse()
        to_create = []  # (document, number, values)
        planned = set()  # numbers in to_create (a number twice in one reply: once)
        updated = Order.browse()

        def fail(document, number, exc):
            counts["failed"] += 1
            failures.append((document["id"], number, str(exc) if isinstance(
                exc, ItemError) else self._reason(exc)))
            self._forget_rolled_back(context)

        new_documents = [d for d in documents
                         if (d["number"] or d["id"]) and (d["number"] or d["id"]) not in existing]
        self._create_shop_partners(new_documents, context)
        for document in documents:
            number = document["number"] or document["id"]
            if not number:
                counts["failed"] += 1
                failures.append(("", "", _("An order from the shop has no number.")))
                continue
            order = existing.get(number)
            try:
                with self.env.cr.savepoint():
                    if order:
                        if self._update_shop_order(shop, order, document, context):
                            updated |= order
                        touched |= order
                    elif number not in planned:
                        to_create.append((document, number, self._shop_order_values(
                            shop, number, document, context)))
                        planned.add(number)
            except (ItemError, UserError, ValidationError, ValueError) as exc:
                fail(document, number, exc)
        # new orders in one create; when it fails (one bad order), order by order
        created = Order.browse()
        if to_create:
            try:
                with self.env.cr.savepoint():
                    created = Order.create([values for _d, _n, values in to_create])
            except (UserError, ValidationError, ValueError) as exc:
                _logger.info("batch create of shop orders failed (%s); one by one", exc)
                self._forget_rolled_back(context)
                for document, number, values in to_create:
                    try:
                        with self.env.cr.savepoint():
                            created |= Order.create(values)
                    except (UserError, ValidationError, ValueError) as exc:
                        fail(document, number, exc)
        counts["created"] += len(created)
        touched |= created
        # states from the status table, for new and known orders together
        pending = []
        by_number = {o.cml_shop_number: o for o in touched}
        for document in documents:
            number = document["number"] or document["id"]
            order = by_number.get(number)
            target = shop._status_target(document) if order else None
            if target and not (target == "draft" and order in created):
                pending.append((document, number, order, target))
        updated |= self._apply_shop_states(pending, fail) - created
        known = touched - created
        counts["updated"] += len(known & updated)
        counts["unchanged"] += len(known - updated)
        return counts, failures, touched

    def _forget_rolled_back(self, context):
        """A customer or product created for an order that failed went with its
        savepoint: drop it from the caches, the next order creates it again."""
        for key in ("partners", "products"):
            cache = context[key]
            ids = {record.id for record in cache.values()}
            if not ids:
                continue
            model = next(iter(cache.values()))._name
            alive = set(self.env[model].with_context(active_test=False).browse(
                list(ids)).exists().ids)
            for name in [n for n, record in cache.items() if record.id not in alive]:
                del cache[name]

    def _shop_currency_check(self, shop, document, context, currency):
        if not document["currency"]:
            return
        sent = self._currency(document["currency"], context["offer_caches"])
        if sent != currency:
            raise ItemError(_(
                "The shop sent order %(order)s in %(sent)s, but its orders are created in "
                "%(own)s: choose a pricelist in %(sent)s on the shop connection.",
                order=document["number"], sent=sent.name, own=currency.name))

    @api.model
    def _buyer_name(self, document):
        buyers = document["counterparties"]
        buyer = buyers[0] if buyers else {}
        name = (buyer.get("full_name") or buyer.get("name") or "").strip()
        if not name:
            # Bitrix sends buyers without a name when the account has none
            name = _("Shop customer %s", buyer.get("id") or document["number"])
        return buyer, name

    def _prefetch_shop_batch(self, documents, context):
        """One search per key for the whole batch: the customers by name, the products
        by every key the line lookup tries. Lines then resolve from memory."""
        names = {self._buyer_name(d)[1] for d in documents} - set(context["partners"])
        if names:
            for partner in self.env["res.partner"].search([("name", "in", list(names))],
                                                          order="id desc"):
                context["partners"][partner.name] = partner  # the oldest one wins
        lines = [line for d in documents for line in d["lines"]]
        products = context["products"]
        Product = self.env["product.product"].with_context(active_test=False)
        wanted = [line for line in lines if line["id"] not in products]
        if not wanted:
            return
        ids = {line["id"] for line in wanted}
        bases = {reader.split_id(i)[0] for i in ids} - {""}
        odoo_ids = [int(i.rpartition("-")[2]) for i in ids
                    if i.startswith("odoo-product-") and i.rpartition("-")[2].isdigit()]
        found = Product.search(["|", "|", "|",
                                ("cml_variant_id", "in", list(ids)),
                                ("product_tmpl_id.cml_id", "in", list(bases)),
                                ("id", "in", odoo_ids),
                                ("name", "in", list({ln["name"] for ln in wanted
                                                     if ln["name"]}))], order="id desc")
        by = {"variant": {}, "base": {}, "id": {}, "name": {}}
        for product in found:  # descending ids: the oldest product wins each key
            if product.cml_variant_id:
                by["variant"][product.cml_variant_id] = product
            if product.product_tmpl_id.cml_id:
                by["base"][product.product_tmpl_id.cml_id] = product
            by["id"][f"odoo-product-{product.id}"] = product
            by["name"][product.name] = product
        for line in wanted:
            base_id, characteristic = reader.split_id(line["id"])
            product = (characteristic and by["variant"].get(line["id"])) or \
                by["base"].get(base_id) or by["id"].get(line["id"]) or \
                by["name"].get(line["name"])
            if product:
                products[line["id"]] = product

    def _create_shop_partners(self, documents, context):
        """The customers of new orders that Odoo lacks, in one create."""
        cache = context["partners"]
        missing = {}
        for document in documents:
            buyer, name = self._buyer_name(document)
            if name not in cache and name not in missing:
                missing[name] = self._shop_partner_values(buyer, name)
        if not missing:
            return
        try:
            with self.env.cr.savepoint():
                partners = self.env["res.partner"].create(list(missing.values()))
        except (UserError, ValidationError, ValueError) as exc:
            _logger.info("batch create of shop customers failed (%s); one by one", exc)
            return  # _shop_partner creates them with their order, which fails alone
        cache.update(zip(missing, partners, strict=True))

    @api.model
    def _shop_partner_values(self, buyer, name):
        values = {"name": name, "company_id": False}
        for key, field in (("email", "email"), ("phone", "phone"), ("address", "street"),
                           ("inn", "vat")):
            if buyer.get(key):
                values[field] = buyer[key]
        return values

    def _shop_partner(self, shop, document, context):
        """The customer, found by ПолноеНаименование (then Наименование), else created."""
        buyer, name = self._buyer_name(document)
        cache = context["partners"]
        if name in cache:
            return cache[name]
        Partner = self.env["res.partner"]
        partner = Partner.search([("name", "=", name)], order="id", limit=1) or \
            Partner.create(self._shop_partner_values(buyer, name))
        cache[name] = partner
        return partner

    def _shop_lines(self, document):
        commands = []
        for line in document["lines"]:
            product = self._order_line_product(line)
            price = line["price"] if line["price"] is not None else (
                (line["amount"] or 0.0) / line["quantity"] if line["quantity"] else 0.0)
            commands.append((0, 0, {"product_id": product.id,
                                    "product_uom_qty": line["quantity"] or 1.0,
                                    "price_unit": price}))
        return commands

    def _shop_order_values(self, shop, number, document, context):
        """The values of a new order from the shop (lines' products found or created)."""
        partner = self._shop_partner(shop, document, context)
        values = {
            "partner_id": partner.id, "user_id": shop.user_id.id,
            "company_id": shop.company_id.id, "cml_shop_id": shop.id,
            "cml_shop_number": number, "client_order_ref": number,
        }
        pricelist = shop.pricelist_id or partner.with_company(
            shop.company_id).property_product_pricelist
        if shop.pricelist_id:
            values["pricelist_id"] = shop.pricelist_id.id
        shop_date = self._shop_date(shop, document)
        if shop_date:
            values["date_order"] = values["cml_shop_date"] = shop_date
        if document["comment"]:
            values["note"] = document["comment"]
        self._shop_currency_check(shop, document, context,
                                  pricelist.currency_id or shop.company_id.currency_id)
        values["order_line"] = self._shop_lines(document)
        return values

    def _shop_date(self, shop, document):
        """The shop's date and time of the order, in UTC. Shops write their local time;
        the responsible user's time zone is taken as the shop's (UTC when unset)."""
        if not document["date"]:
            return None
        time_text = document.get("time") or "00:00:00"
        if not re.match(r"^\d{2}:\d{2}:\d{2}$", time_text):
            time_text = "00:00:00"
        try:
            local = datetime.strptime(f"{document['date']} {time_text}", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
        zone = pytz.timezone(shop.user_id.tz or "UTC")
        return zone.localize(local).astimezone(pytz.utc).replace(tzinfo=None)

    def _update_shop_order(self, shop, order, document, context):
        self._shop_currency_check(shop, document, context, order.currency_id)
        changed = False
        shop_date = self._shop_date(shop, document)
        if shop_date and order.cml_shop_date != shop_date:
            order.write({"cml_shop_date": shop_date})
            changed = True
        if document["lines"] and not order.locked and order.state != "cancel":
            changed |= self._update_order_lines(order, document)
        partner = self._shop_partner(shop, document, context)
        if partner != order.partner_id and order.state == "draft":
            order.write({"partner_id": partner.id})
            changed = True
        return changed

    def _apply_shop_states(self, pending, fail):
        """pending: [(document, number, order, target)]; returns the orders whose state
        changed. Quotations to confirm are confirmed together (one call for the batch,
        order by order when it fails); the rest of each move is per order."""
        to_confirm = self.env["sale.order"].browse()
        for _document, _number, order, target in pending:
            if target in ("sale", "locked") and order.state in ("draft", "sent"):
                to_confirm |= order
        changed = self.env["sale.order"].browse()
        if to_confirm:
            try:
                with self.env.cr.savepoint():
                    to_confirm.action_confirm()
                changed |= to_confirm
            except (UserError, ValidationError, ValueError) as exc:
                _logger.info("batch confirm of shop orders failed (%s); one by one", exc)
        for document, number, order, target in pending:
            try:
                with self.env.cr.savepoint():
                    if self._apply_order_state(order, target):
                        changed |= order
            except (UserError, ValidationError, ValueError) as exc:
                # the order keeps its state; the next pull tries again
                fail(document, number, exc)
        return changed

    def _order_line_product(self, line):
        """Shop orders: a product the catalog never had (or a delivery) is created."""
        if not self.env.context.get(SHOP_CONTEXT_KEY):
            return super()._order_line_product(line)
        cache = self.env.context.get("cml_shop_products")
        product = cache.get(line["id"]) if cache is not None else None
        if not product:
            product = self._find_order_line_product(line)
        if product:
            if cache is not None:
                cache[line["id"]] = product
            return product
        base_id, _characteristic = reader.split_id(line["id"])
        delivery = line["id"] == "ORDER_DELIVERY"
        template = self.env["product.template"].create({
            "name": line["name"] or (_("Delivery") if delivery else line["id"]),
            "cml_id": base_id or False,
            "default_code": line["article"] or False,
            "type": "service" if delivery or line["is_service"] else "consu",
        })
        return template.product_variant_id
