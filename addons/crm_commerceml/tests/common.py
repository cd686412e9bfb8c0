import io
from pathlib import Path

from odoo.tests import HttpCase, new_test_user

from ..utils import writer
from .onec_client import ExchangeFailure, OneCClient

# ../shared/data/commerceml beside the project: real 1C and Bitrix files (never copied in)
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "commerceml"

CLASSIFIER = "cls-1"
CATALOG = "cat-1"
RETAIL = "price-retail"
WHOLESALE = "price-wholesale"
WAREHOUSE = "wh-1"


def catalog_xml(products, groups=None, only_changes=False):
    buffer = io.BytesIO()
    buffer.write(writer.BOM)
    writer.write_catalog(buffer, {"id": CATALOG, "classifier_id": CLASSIFIER,
                                  "name": "Основной каталог", "only_changes": only_changes},
                         groups or [], products)
    return buffer.getvalue()


def offers_xml(offers, price_types=None, only_changes=False):
    buffer = io.BytesIO()
    writer.write_offers(buffer, {"id": CATALOG + "#", "name": "Пакет предложений",
                                 "catalog_id": CATALOG, "classifier_id": CLASSIFIER,
                                 "only_changes": only_changes},
                        price_types or [{"id": RETAIL, "name": "Розничная", "currency": "руб"},
                                        {"id": WHOLESALE, "name": "Оптовая",
                                         "currency": "RUB"}],
                        [{"id": WAREHOUSE, "name": "Основной склад"}], offers)
    return buffer.getvalue()


def product(pid, name, article="", **extra):
    return dict({"id": pid, "name": name, "article": article,
                 "unit": {"code": "796", "name": "шт", "full_name": "Штука"},
                 "taxes": [{"name": "НДС", "rate": 20}]}, **extra)


def offer(pid, price, quantity, wholesale=None, currency="руб"):
    prices = [{"price_type_id": RETAIL, "price": price, "currency": currency}]
    if wholesale is not None:
        prices.append({"price_type_id": WHOLESALE, "price": wholesale, "currency": currency})
    return {"id": pid, "name": pid, "prices": prices, "quantity": quantity,
            "stocks": [{"warehouse_id": WAREHOUSE, "quantity": quantity}]}


class ExchangeCase(HttpCase):
    """A 1C exchange node talking to the running Odoo over HTTP as an API-key user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, "onec", name="1C exchange",
            groups="base.group_user,sales_team.group_sale_manager,stock.group_stock_manager")
        cls.key = cls.env["res.users.apikeys"].with_user(cls.user).sudo()._generate(
            None, "1C node", None)
        # 1C prices in roubles; without rates Odoo converts 1:1 into the company currency
        cls.env.ref("base.RUB").active = True
        cls.set_param("enabled", "True")
        cls.set_param("zip", "True")

    @classmethod
    def set_param(cls, key, value):
        cls.env["ir.config_parameter"].sudo().set_param("crm_commerceml." + key, value)

    def client(self, key=None, login=None, path="/1c_exchange.php"):
        return OneCClient(self.base_url(), login or self.user.login, key or self.key,
                          path=path, session=self.opener)

    def failure_of(self, call, *args, **kwargs):
        """The reason of the failure ``call`` must end with. Not assertRaises: Odoo's
        rolls the test transaction back to before the call, journal entries included."""
        try:
            call(*args, **kwargs)
        except ExchangeFailure as exc:
            return str(exc)
        self.fail(f"{call.__name__} did not fail")

    def journal(self, **domain):
        return self.env["crm.commerceml.exchange"].search(
            [(k, "=", v) for k, v in domain.items()])

    def templates(self, *cml_ids):
        return self.env["product.template"].with_context(active_test=False).search(
            [("cml_id", "in", list(cml_ids))])
