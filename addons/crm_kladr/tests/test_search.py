"""What the address widget gets back while a user types."""

from odoo.tests import tagged

from .common import KladrCase


@tagged("post_install", "-at_install")
class TestKladrSearch(KladrCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_sample()

    def suggest(self, kind, **kwargs):
        return self.env["crm.kladr.suggest"].suggest(kind, **kwargs)

    def test_prefix_case_insensitive_towns_first(self):
        labels = self.city_labels("мОс")
        self.assertEqual(labels[0], ("г. Москва", ""))
        self.assertEqual(self.city_labels("т")[0], ("г. Тверь", "Тверская обл."))

    def test_in_word(self):
        self.assertEqual([label for label, _ in self.city_labels("ков")], ["г. Псков"])
        self.assertEqual([label for label, _ in self.city_labels("тербу")],
                         ["г. Санкт-Петербург"])

    def test_yo_is_ye(self):
        self.assertEqual(self.city_labels("королев")[0][0], "г. Королёв")
        self.assertEqual(self.city_labels("КОРОЛЁВ")[0][0], "г. Королёв")
        streets = self.suggest("street", query="елоч", place_code="7800000000000")
        self.assertEqual([s["label"] for s in streets], ["ул. Ёлочная"])

    def test_latin_layout(self):
        self.assertEqual(self.city_labels("vjcr")[0][0], "г. Москва")
        streets = self.suggest("street", query="ndth", place_code="7700000000000")
        self.assertEqual([s["label"] for s in streets], ["ул. Тверская"])

    def test_regions_tell_namesakes_apart(self):
        labels = self.city_labels("Ивановка")
        self.assertEqual(sorted(labels), [("с. Ивановка", "Московская обл."),
                                          ("с. Ивановка", "Тверская обл., Калининский р-н")])
        self.assertEqual(self.city_labels("Ивановка, твер"),
                         [("с. Ивановка", "Тверская обл., Калининский р-н")])
        tver = self.suggest("city", query="Тверь")[0]
        self.assertEqual(tver["state_id"][0], self.env.ref("base.state_ru_tve").id)
        self.assertEqual(tver["zip"], "170000")

    def test_moscow_and_saint_petersburg_are_regions_with_city_000(self):
        moscow = self.suggest("city", query="Москва")[0]
        self.assertEqual((moscow["code"], moscow["level"]), ("7700000000000", 1))
        self.assertEqual(moscow["state_id"][0], self.env.ref("base.state_ru_mow").id)
        spb = self.suggest("city", query="санкт")[0]
        self.assertEqual((spb["label"], spb["state_id"][0]),
                         ("г. Санкт-Петербург", self.env.ref("base.state_ru_spe").id))
        streets = self.suggest("street", query="", place_code="7700000000000")
        self.assertEqual([s["label"] for s in streets], ["ул. Арбат", "ул. Тверская"])
        self.assertNotIn("ул. Горького", [s["label"] for s in streets])  # old name

    def test_old_names_and_codes(self):
        # An old name finds the current town and says what it was called.
        korolev = self.suggest("city", query="Калининград")
        self.assertEqual([(c["label"], c["old_name"]) for c in korolev],
                         [("г. Королёв", "Калининград")])
        # A re-subordinated village resolves through ALTNAMES to its new code.
        self.assertEqual(self.suggest("city", query="Старое")[0]["label"], "г. Тверь")
        store = self.env["crm.kladr.store"]
        self.assertEqual(store.resolve_code("6900800001351"), "6900000100000")
        self.assertEqual(store.lookup("5000001700001")["name"], "Королёв")
        self.assertEqual(store.lookup("77000000000000101")["name"], "Тверская")
        # streets of a place stored with an old code are still offered
        self.assertEqual(len(self.suggest("street", query="",
                                          place_code="6900800001351")), 1)
        self.assertFalse(self.city_labels("Исчезнувшее"))

    def test_streets_are_limited_to_the_place_and_give_zip(self):
        streets = self.suggest("street", query="тв", place_code="7700000000000")
        self.assertEqual([(s["street"], s["zip"]) for s in streets],
                         [("ул. Тверская", "125009")])
        self.assertFalse(self.suggest("street", query="Тверская",
                                      place_code="6900000100000"))

    def test_houses(self):
        houses = self.suggest("house", query="1", street_code="77000000000000100")
        self.assertEqual([h["number"] for h in houses], ["1", "10", "11", "13", "15"])
        self.assertEqual(houses[0]["zip"], "125009")

    def test_wildcards_are_literal(self):
        self.assertFalse(self.city_labels("%"))
        self.assertFalse(self.city_labels("_о"))
