"""The form as a visitor meets it: the HTML from "Show form" pasted into a page of
another origin (a peer on its own port), filled and sent in headless Chromium."""

import json

from odoo.tests import HttpCase, tagged
from peers import OutsideSitePeer, PeerCaseMixin

from .common import WebformMixin

THANKS = """<!DOCTYPE html><html><body><h1>Thanks</h1>
<script>if (location.search.indexOf("webform=") >= 0) console.log("test successful");</script>
</body></html>"""

# Fill the form like a person: type into the labelled inputs, read the captcha (the test
# knows the answer of the token it hands over), press Send. `submit()` instead of a click
# skips the browser's own `required` check, to show what the server does without it.
FILL = """
(function () {
    const form = document.querySelector("form[action*='/crm_webforms/']");
    const values = %(values)s;
    for (const [name, value] of Object.entries(values)) {
        const input = form.elements[name];
        const label = document.querySelector(`label[for="${input.id}"]`);
        if (!label && input.type !== "hidden") { console.error("no label for " + name); }
        input.value = value;
    }
    if (!form.querySelector("img[data-webform-captcha]").src.startsWith("data:image/png")) {
        console.error("the captcha image did not load from Odoo");
    }
    form.elements["_wf_captcha_token"].value = %(token)s;
    form.elements["_wf_captcha"].value = %(answer)s;
    %(send)s
})();
"""


@tagged("post_install", "-at_install")
class TestFormInBrowser(WebformMixin, PeerCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site = cls.start_peer(OutsideSitePeer)
        cls.form = cls.make_form(
            "lead", [("contact_name", True), ("email_from", True), ("phone", False)],
            overrides={"partner_name": "Browser visitor"}, captcha=True,
            name="Contact us")

    def setUp(self):
        super().setUp()
        self.form.return_url = f"{self.site.url}/thanks"
        self.site.set_page("/favicon.ico", "")
        self.site.set_page("/thanks", THANKS)
        # The page of the outside site: the HTML exactly as "Show form" gives it.
        self.page = self.site.set_page(
            "/contact", "<!DOCTYPE html><html><head><meta charset='utf-8'/></head><body>"
            f"<h1>Write to us</h1>{self.form.embed_html}</body></html>")
        self.assertNotEqual(self.page.split("/")[2], self.base_url().split("/")[2])

    def fill_and_send(self, values, answer_offset=0,
                      send="form.querySelector('button[type=submit]').click();"):
        challenge = self.form._new_captcha()
        answer = int(self.solve(self.form, challenge.token)) + answer_offset
        code = FILL % {"values": _js(values), "token": _js(challenge.token),
                       "answer": _js(str(answer)), "send": send}
        # Ready once the page's own script fetched a captcha from Odoo (cross-origin).
        self.browser_js(self.page, code,
                        ready="!!document.querySelector('input[name=_wf_captcha_token]').value")
        landing = self.site.visits("/thanks")
        self.assertEqual(len(landing), 1, "the browser must land on the return URL")
        return {key: value[0] for key, value in landing[0].query.items()}

    def leads(self):
        return self.env["crm.lead"].search([("partner_name", "=", "Browser visitor")])

    def test_visitor_sends_the_form_and_lands_on_the_return_url(self):
        landing = self.fill_and_send({"contact_name": "Vera Visitor",
                                      "email_from": "vera@site.test", "phone": "+7 900 1"})
        self.assertEqual(landing, {"webform": "ok"})
        lead = self.leads()
        self.assertEqual(len(lead), 1)
        self.assertEqual((lead.contact_name, lead.email_from), ("Vera Visitor", "vera@site.test"))
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(lead.company_id, self.company_b)
        self.assertIn(f"{self.site.url}/contact", lead.message_ids[0].body)

    def test_missing_required_field(self):
        landing = self.fill_and_send({"contact_name": "", "email_from": "vera@site.test"},
                                     send="form.submit();")
        self.assertEqual(landing, {"webform": "error", "webform_error": "invalid",
                                   "webform_fields": "contact_name"})
        self.assertFalse(self.leads())

    def test_wrong_captcha(self):
        landing = self.fill_and_send({"contact_name": "Vera", "email_from": "vera@site.test"},
                                     answer_offset=3)
        self.assertEqual(landing, {"webform": "error", "webform_error": "captcha_wrong"})
        self.assertFalse(self.leads())

    def test_honeypot_filled_by_a_bot(self):
        landing = self.fill_and_send({"contact_name": "Bot", "email_from": "bot@spam.test",
                                      "contact_fax": "123"})
        self.assertEqual(landing, {"webform": "ok"})  # the bot is not told
        self.assertFalse(self.leads())
        self.assertEqual(self.form.submission_ids.reason, "honeypot")


def _js(value):
    return json.dumps(value)


@tagged("post_install", "-at_install")
class TestDefineFormInBrowser(WebformMixin, HttpCase):
    def test_a_manager_defines_a_form_and_gets_its_html(self):
        self.start_tour("/odoo/crm-webforms", "crm_webforms_define_form_tour",
                        login="wf_manager")
        form = self.env["crm.webform"].search([("name", "=", "Tour contact form")])
        self.assertEqual(form.target, "lead")
        self.assertEqual(form.return_url, "https://site.example/thanks")
        self.assertEqual(form.user_id, self.manager)
        lines = {line.field_name: line for line in form.field_ids}
        self.assertTrue(lines["email_from"].required)
        self.assertEqual(lines["partner_name"].override_value, "From the tour")
