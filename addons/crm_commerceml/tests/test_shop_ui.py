"""An administrator connects a shop in the browser and pulls its orders."""

from odoo.tests import HttpCase, tagged
from peers import BitrixShopPeer, PeerCaseMixin


@tagged("post_install", "-at_install")
class TestShopTour(PeerCaseMixin, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(BitrixShopPeer)

    def test_connect_a_shop_and_pull_orders_now(self):
        rub = self.env.ref("base.RUB")
        rub.active = True
        if self.env.company.currency_id != rub:
            self.env["ir.default"].set("crm.commerceml.shop", "pricelist_id", self.env[
                "product.pricelist"].create({"name": "Roubles", "currency_id": rub.id}).id)
        self.env["ir.default"].set("crm.commerceml.shop", "url",
                                   self.peer.url + BitrixShopPeer.path)
        self.peer.add_order("1001", "ООО Тур", [
            {"id": "tour-1", "name": "Товар тура", "price": 100.0, "quantity": 2}])

        self.start_tour("/odoo/cml-web-shops", "crm_commerceml_shop_tour", login="admin")

        shop = self.env["crm.commerceml.shop"].search([("name", "=", "Tour shop")])
        self.assertEqual(shop.state, "ok")
        self.assertTrue(shop.sudo().password_secret)
        order = self.env["sale.order"].search([("cml_shop_id", "=", shop.id)])
        self.assertEqual((order.cml_shop_number, order.partner_id.name), ("1001", "ООО Тур"))
        self.assertTrue(self.peer.orders["1001"]["exported"])
