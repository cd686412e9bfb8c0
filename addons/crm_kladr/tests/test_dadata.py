"""DaData as the suggestion source: the key stays on the server."""

from odoo.exceptions import UserError
from odoo.tests import tagged
from peers import PeerCaseMixin
from peers.dadata import DadataPeer

from .common import KladrCase


@tagged("post_install", "-at_install")
class TestDadataSource(PeerCaseMixin, KladrCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(DadataPeer)

    def setUp(self):
        super().setUp()
        self.settings = self.env["res.config.settings"].create({
            "kladr_source": "dadata", "kladr_dadata_url": self.peer.url,
            "kladr_dadata_token": "dadata-key"})
        self.settings.execute()
        self.peer.add_address(
            region="Тверская", region_with_type="Тверская обл", region_iso_code="RU-TVE",
            city="Тверь", city_type="г", city_with_type="г Тверь",
            city_kladr_id="6900000100000", kladr_id="6900000100000", postal_code="170000")
        self.peer.add_address(
            region_with_type="Тверская обл", city="Тверь", city_with_type="г Тверь",
            street="Советская", street_type="ул", street_with_type="ул Советская",
            street_kladr_id="69000001000000100", kladr_id="69000001000000100",
            postal_code="170100")
        self.peer.add_address(
            region_with_type="Тверская обл", city="Тверь", street="Советская",
            street_with_type="ул Советская", house="12",
            kladr_id="6900000100000010012", postal_code="170101")

    def suggest(self, kind, **kwargs):
        return self.env["crm.kladr.suggest"].suggest(kind, **kwargs)

    def test_city_street_house(self):
        city = self.suggest("city", query="твер")[0]
        self.assertEqual((city["label"], city["description"], city["zip"], city["code"]),
                         ("г. Тверь", "Тверская обл", "170000", "6900000100000"))
        self.assertEqual(city["state_id"][0], self.env.ref("base.state_ru_tve").id)
        street = self.suggest("street", query="сов", place_code=city["code"])[0]
        self.assertEqual((street["street"], street["zip"]), ("ул. Советская", "170100"))
        house = self.suggest("house", query="1", street_code=street["code"])[0]
        self.assertEqual((house["number"], house["zip"]), ("12", "170101"))
        request = self.peer.requests_to("POST", "/suggest/address")[0]
        self.assertEqual(request.headers["Authorization"], "Token dadata-key")

    def test_token_is_write_only(self):
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.kladr_dadata_token)
        self.assertTrue(settings.kladr_dadata_token_set)
        self.assertNotIn("dadata-key", str(settings.read(["kladr_dadata_token"])))

    def test_refused_key_is_a_clear_error(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_kladr.dadata_token", "wrong")
        with self.assertRaisesRegex(UserError, "403"):
            self.suggest("city", query="твер")
        self.peer.inject("POST", "/suggest/address", status=429, json={"message": "Too many"})
        self.env["ir.config_parameter"].sudo().set_param("crm_kladr.dadata_token", "dadata-key")
        with self.assertRaisesRegex(UserError, "429"):
            self.suggest("city", query="твер")
