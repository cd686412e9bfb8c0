"""The widget in a real browser: a salesman fills a Russian address on a lead."""

import os
import tempfile

from odoo.tests import HttpCase, new_test_user, tagged

from .kladr_files import write_distribution


@tagged("post_install", "-at_install")
class TestKladrTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        folder = write_distribution(os.path.join(tempfile.mkdtemp(prefix="kladr_ui_"), "d"))
        job = cls.env["crm.kladr.import"].create({"origin": "folder", "folder": folder})
        job.action_run_now()
        assert job.state == "done", job.error
        new_test_user(cls.env, "kladr_salesman",
                      groups="base.group_user,sales_team.group_sale_salesman")

    def test_lead_address_from_the_classifier(self):
        self.start_tour("/odoo/action-crm.crm_lead_action_pipeline/new",
                        "crm_kladr_lead_address_tour", login="kladr_salesman")
        lead = self.env["crm.lead"].search([("name", "=", "Kladr lead")])
        self.assertEqual(
            (lead.city, lead.street, lead.zip, lead.state_id, lead.kladr_code,
             lead.country_id),
            ("Тверь", "ул. Советская", "170100", self.env.ref("base.state_ru_tve"),
             "6900000100000", self.env.ref("base.ru")))

    def test_every_address_block_gets_the_widget(self):
        view = self.env["crm.lead"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('widget="kladr_address"', view)
        self.assertIn('name="kladr_code"', view)
        partner_view = self.env["res.partner"].get_views([(False, "form")])["views"]["form"]
        # the main address and the other addresses (contacts' inline form)
        self.assertGreaterEqual(partner_view["arch"].count('widget="kladr_address"'), 4)

    def test_import_form_follows_the_progress(self):
        """The open import form shows each step the job writes, up to done, without
        being reloaded (the tour writes the steps from other requests)."""
        job = self.env["crm.kladr.import"].create({
            "name": "Live progress import", "origin": "folder", "folder": "/nonexistent",
            "state": "running", "progress": 10, "progress_message": "Unpacking the archive"})
        self.start_tour(f"/odoo/action-crm_kladr.crm_kladr_import_action/{job.id}",
                        "crm_kladr_import_progress_tour", login="admin")
        self.assertEqual((job.state, job.progress), ("done", 100))
