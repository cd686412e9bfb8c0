"""Defining a form: which fields may be offered, overrides, return URL, the secret key,
the HTML given to "Show form"."""

import time

from lxml import html as lxml_html

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from .common import WebformMixin


@tagged("post_install", "-at_install")
class TestFormDefinition(WebformMixin, TransactionCase):
    def test_only_public_fields_are_offered(self):
        form = self.make_form("lead", [("contact_name", True)])
        offered = set(form.allowed_field_ids.mapped("name"))
        self.assertTrue({"contact_name", "email_from", "phone", "partner_name",
                         "country_id"} <= offered)
        # Ownership, pipeline and kind of record stay out of a visitor's reach, and so do
        # html, binary and x2many fields.
        for name in ("user_id", "team_id", "company_id", "stage_id", "type", "partner_id",
                     "probability", "active", "description", "tag_ids", "message_ids"):
            self.assertNotIn(name, offered)
        partner_form = self.make_form("contact", [("name", True)])
        partner_offered = set(partner_form.allowed_field_ids.mapped("name"))
        self.assertIn("email", partner_offered)
        for name in ("user_id", "company_id", "parent_id", "is_company", "vat", "image_1920",
                     "child_ids", "category_id"):
            self.assertNotIn(name, partner_offered)

    def test_a_forbidden_field_is_refused_with_a_reason(self):
        with self.assertRaisesRegex(ValidationError, "cannot be on web form"):
            self.make_form("lead", [("user_id", False)])
        form = self.make_form("lead")
        partner_email = self.env["ir.model.fields"]._get("res.partner", "email")
        with self.assertRaisesRegex(ValidationError, "cannot be on web form"):
            form.field_ids = [(0, 0, {"field_id": partner_email.id})]  # another model's

    def test_override_values_are_checked_when_saved(self):
        form = self.make_form("lead", [("contact_name", True)],
                              overrides={"country_id": "Belgium", "expected_revenue": "100"})
        overrides = {line.field_name: line._override_typed()
                     for line in form.field_ids.filtered("is_override")}
        self.assertEqual(overrides["country_id"], self.env.ref("base.be").id)
        self.assertEqual(overrides["expected_revenue"], 100.0)
        with self.assertRaisesRegex(ValidationError, "override value"):
            self.make_form("lead", overrides={"expected_revenue": "a lot"})
        with self.assertRaisesRegex(ValidationError, "override value"):
            self.make_form("lead", overrides={"country_id": "Atlantis"})

    def test_return_url_must_be_a_web_address(self):
        for url in ("javascript:alert(1)", "/thanks", "ftp://x.test/"):
            with self.assertRaisesRegex(ValidationError, "return URL"):
                self.make_form("lead", return_url=url)
        self.make_form("lead", return_url="https://example.com/thanks?a=1")

    def test_secret_key_is_write_only(self):
        form = self.make_form("lead", captcha_provider="turnstile", user_id=self.manager.id,
                              captcha_site_key="site-1", captcha_secret_key="very-secret")
        form.invalidate_recordset()
        self.assertFalse(form.captcha_secret_key)
        self.assertTrue(form.captcha_secret_is_set)
        self.assertEqual(form.sudo().captcha_secret_value, "very-secret")
        data = form.with_user(self.manager).read(["captcha_secret_key"])[0]
        self.assertFalse(data["captcha_secret_key"])
        self.assertNotIn("captcha_secret_value",
                         form.with_user(self.manager).fields_get(attributes=["type"]))
        with self.assertRaisesRegex(ValidationError, "site key"):
            self.make_form("lead", captcha_provider="recaptcha")

    def test_show_form_gives_html_without_overrides(self):
        form = self.make_form("lead", [("contact_name", True), ("email_from", True)],
                              overrides={"partner_name": "From the site"})
        action = form.action_show_form()
        self.assertEqual(action["target"], "new")
        tree = lxml_html.fromstring(f"<div>{form.embed_html}</div>")
        names = set(tree.xpath("//form//*[@name]/@name"))
        self.assertTrue({"contact_name", "email_from", "_wf_captcha"} <= names)
        self.assertNotIn("partner_name", names)
        self.assertIn(f"/crm_webforms/{form.key}/submit", tree.find(".//form").get("action"))

    def test_the_hourly_cleanup_forgets_old_counters_and_expired_captchas(self):
        guard = self.env["crm.webform.guard"]
        now = time.time()
        limit = [("ip:1:1.2.3.4", 1)]
        self.assertEqual(guard._hit(limit, now=now - 7200, own_transaction=False), (True, 0))
        self.assertTrue(guard._hit(limit, now=now, own_transaction=False)[0])
        allowed, retry_after = guard._hit(limit, now=now, own_transaction=False)
        self.assertFalse(allowed)
        self.assertTrue(0 < retry_after <= 3601)
        self.assertTrue(guard._use_nonce("old", 10))
        self.assertFalse(guard._use_nonce("old", 10))
        self.assertTrue(guard._use_nonce("fresh", 2_000_000_000))
        self.env.cr.execute("SELECT count(*) FROM crm_webform_rate")
        self.assertEqual(self.env.cr.fetchone()[0], 2)
        self.env.ref("crm_webforms.ir_cron_crm_webform_gc").method_direct_trigger()
        self.env.cr.execute("SELECT count(*) FROM crm_webform_rate")
        self.assertEqual(self.env.cr.fetchone()[0], 1)  # this hour's counter stays
        self.assertEqual(self.env["crm.webform.nonce"].search([]).mapped("nonce"), ["fresh"])
