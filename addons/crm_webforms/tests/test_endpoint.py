"""The public endpoint over real HTTP: good posts, hostile posts, floods, bots, captchas
(built-in and third-party through a peer), partner dedup, CORS."""

import json
from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, tagged
from peers import CaptchaVerifyPeer, PeerCaseMixin

from .common import WebformMixin

JSON = {"Accept": "application/json"}


@tagged("post_install", "-at_install")
class TestEndpoint(WebformMixin, PeerCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.form = cls.make_form(
            "lead", [("contact_name", True), ("email_from", True), ("phone", False),
                     ("expected_revenue", False), ("country_id", False)],
            overrides={"partner_name": "Site visitor"},
            return_url="https://site.example/thanks?from=form", captcha=False,
            ip_rate_limit=50)

    def post(self, form, data, headers=None, as_json=False):
        url = f"/crm_webforms/{form.key}/submit"
        if as_json:
            headers = {"Content-Type": "application/json", **(headers or {})}
            data = json.dumps(data)
        return self.url_open(url, data=data, headers=headers, allow_redirects=False)

    def leads(self):
        return self.env["crm.lead"].search([("partner_name", "=", "Site visitor")])

    def good(self, **extra):
        return {"contact_name": "Ann Lee", "email_from": "ann@site.test",
                "phone": "+7 900 123-45-67", "_wf_page": "https://site.example/contact",
                **extra}

    # ------------------------------------------------------------------ good posts

    def test_a_post_creates_the_lead_for_the_responsible_user_and_redirects(self):
        response = self.post(self.form, self.good(country_id=str(self.env.ref("base.be").id)))
        self.assertEqual(response.status_code, 303)
        target = urlsplit(response.headers["Location"])
        self.assertEqual(target.netloc + target.path, "site.example/thanks")
        self.assertEqual(parse_qs(target.query), {"from": ["form"], "webform": ["ok"]})
        lead = self.leads()
        self.assertEqual(len(lead), 1)
        self.assertEqual((lead.contact_name, lead.email_from, lead.type),
                         ("Ann Lee", "ann@site.test", "lead"))
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(lead.company_id, self.company_b)
        self.assertEqual(lead.country_id, self.env.ref("base.be"))
        note = lead.message_ids.filtered(lambda m: "web form" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("127.0.0.1", note.body)
        self.assertIn("https://site.example/contact", note.body)
        submission = self.form.submission_ids
        self.assertEqual((submission.state, submission.res_model, submission.res_id),
                         ("accepted", "crm.lead", lead.id))
        self.assertEqual((self.form.accepted_count, self.form.record_count), (1, 1))

    def test_json_post_answers_json_and_cors(self):
        response = self.post(self.form, self.good(), headers={"Origin": "https://site.example"},
                             as_json=True)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"ok": True})
        self.assertEqual(response.headers["Access-Control-Allow-Origin"], "*")
        self.assertEqual(len(self.leads()), 1)
        preflight = self.opener.options(
            f"{self.base_url()}/crm_webforms/{self.form.key}/submit",
            headers={"Origin": "https://site.example", "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}, timeout=10)
        self.assertEqual(preflight.status_code, 204)
        self.assertEqual(preflight.headers["Access-Control-Allow-Origin"], "*")
        self.assertIn("Content-Type", preflight.headers["Access-Control-Allow-Headers"])

    def test_opportunity_contact_and_company_targets(self):
        opportunity_form = self.make_form(
            "opportunity", [("partner_name", True)], captcha=False)
        self.post(opportunity_form, {"partner_name": "Big deal Ltd"}, headers=JSON)
        opportunity = self.env["crm.lead"].search([("partner_name", "=", "Big deal Ltd")])
        self.assertEqual((opportunity.type, opportunity.user_id), ("opportunity", self.salesman))

        company_form = self.make_form("company", [("name", True), ("email", False)],
                                      captcha=False)
        self.assertEqual(self.post(company_form, {"name": "Acme Corp", "email": "a@acme.test"},
                                   headers=JSON).json(), {"ok": True})
        company = self.env["res.partner"].search([("name", "=", "Acme Corp")])
        self.assertTrue(company.is_company)
        self.assertEqual((company.user_id, company.company_id), (self.salesman, self.company_b))

        contact_form = self.make_form("contact", [("name", True), ("email", True)],
                                      captcha=False)
        self.post(contact_form, {"name": "Bo Ray", "email": "bo@x.test"}, headers=JSON)
        contact = self.env["res.partner"].search([("email", "=", "bo@x.test")])
        self.assertFalse(contact.is_company)
        self.assertEqual(contact.user_id, self.salesman)

    # ------------------------------------------------------------------ dedup

    def test_a_known_email_or_phone_links_the_existing_partner(self):
        ann = self.env["res.partner"].create({"name": "Ann (known)", "email": "ANN@site.test"})
        bob = self.env["res.partner"].create({"name": "Bob", "phone": "8 (900) 765-43-21"})
        self.post(self.form, self.good(), headers=JSON)
        self.post(self.form, self.good(email_from="new@site.test", phone="+79007654321"),
                  headers=JSON)
        leads = self.leads().sorted("id")
        self.assertEqual(leads.partner_id, ann | bob)
        self.assertEqual(leads.mapped("partner_id"), ann | bob)
        self.assertEqual(leads[1].email_from, "new@site.test")  # what was typed is kept
        self.assertEqual(self.env["res.partner"].search_count(
            [("email_normalized", "=", "ann@site.test")]), 1)
        self.assertTrue(all(self.form.submission_ids.mapped("matched_partner")))

    def test_contact_form_does_not_duplicate_nor_overwrite_a_known_contact(self):
        known = self.env["res.partner"].create({"name": "Cleo", "email": "cleo@x.test"})
        contact_form = self.make_form("contact", [("name", True), ("email", True)],
                                      captcha=False)
        response = self.post(contact_form, {"name": "Cleo Impostor", "email": "cleo@x.test"},
                             headers=JSON)
        self.assertEqual(response.json(), {"ok": True})
        self.assertEqual(self.env["res.partner"].search_count([("email", "=", "cleo@x.test")]), 1)
        self.assertEqual(known.name, "Cleo")
        self.assertIn("Cleo Impostor", known.message_ids[0].body)
        self.assertEqual(contact_form.submission_ids.res_id, known.id)

    # ------------------------------------------------------------------ hostile input

    def assert_refused(self, data, field, code, as_json=False):
        response = self.post(self.form, data, headers=JSON, as_json=as_json)
        self.assertEqual(response.status_code, 400, response.text)
        body = response.json()
        self.assertFalse(body["ok"])
        self.assertEqual(body["fields"].get(field), code, body)
        self.assertFalse(self.leads(), f"{field}: nothing may be created")

    def test_hostile_posts_create_nothing(self):
        self.assert_refused(self.good(is_admin="1"), "is_admin", "unknown_field")
        self.assert_refused(self.good(email="x@y.test"), "email", "unknown_field")  # partner's
        self.assert_refused(self.good(user_id=str(self.env.user.id)), "user_id",
                            "unknown_field")
        self.assert_refused(self.good(partner_name="Mine now"), "partner_name", "not_allowed")
        self.assert_refused(self.good(contact_name="x" * 5000), "contact_name", "too_long")
        self.assert_refused(self.good(expected_revenue="lots"), "expected_revenue", "invalid")
        self.assert_refused(self.good(country_id="999999"), "country_id", "invalid")
        self.assert_refused(self.good(email_from="not an e-mail"), "email_from", "invalid")
        self.assert_refused(self.good(contact_name=""), "contact_name", "missing")
        self.assert_refused(self.good(contact_name={"$ne": 1}), "contact_name", "invalid",
                            as_json=True)
        self.assert_refused(self.good(contact_name=["a", "b"]), "contact_name", "invalid")
        refused = self.form.submission_ids
        self.assertEqual(set(refused.mapped("state")), {"refused"})
        self.assertEqual(len(refused), 11)

    def test_malformed_and_oversized_bodies(self):
        response = self.url_open(f"/crm_webforms/{self.form.key}/submit", data="[1, 2]",
                                 headers={"Content-Type": "application/json", **JSON})
        self.assertEqual((response.status_code, response.json()["error"]), (400, "bad_request"))
        response = self.url_open(f"/crm_webforms/{self.form.key}/submit",
                                 data={"description": "x" * 70_000}, headers=JSON)
        self.assertEqual(response.status_code, 413)
        many = self.good(**{f"f{i}": "1" for i in range(120)})
        response = self.post(self.form, many, headers=JSON)
        self.assertEqual(response.json()["error"], "too_many_fields")
        response = self.url_open("/crm_webforms/not-a-form/submit", data={"a": "1"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.leads())

    def test_an_html_post_with_errors_returns_to_the_site_with_the_reason(self):
        response = self.post(self.form, self.good(contact_name="", bogus="1"))
        self.assertEqual(response.status_code, 303)
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        self.assertEqual(query["webform"], ["error"])
        self.assertEqual(query["webform_error"], ["invalid"])
        self.assertEqual(query["webform_fields"], ["bogus,contact_name"])
        self.form.return_url = False
        response = self.post(self.form, self.good(contact_name=""))
        self.assertEqual(response.status_code, 400)
        self.assertIn("contact_name", response.text)

    # ------------------------------------------------------------------ bots

    def test_honeypot_pretends_success_and_creates_nothing(self):
        response = self.post(self.form, self.good(contact_fax="+1 555 0100"))
        self.assertEqual(response.status_code, 303)
        self.assertIn("webform=ok", response.headers["Location"])
        self.assertFalse(self.leads())
        self.assertEqual(self.form.submission_ids.reason, "honeypot")

    def test_a_flood_from_one_address_is_refused_and_not_stored(self):
        self.form.ip_rate_limit = 3
        other = self.make_form("lead", [("contact_name", True)], captcha=False,
                               overrides={"partner_name": "Site visitor"})
        answers = [self.post(self.form, self.good(email_from=f"f{i}@x.test"), headers=JSON)
                   for i in range(6)]
        self.assertEqual([a.status_code for a in answers], [200, 200, 200, 429, 429, 429])
        self.assertEqual(answers[3].json()["error"], "rate_limited")
        self.assertGreater(int(answers[3].headers["Retry-After"]), 0)
        self.assertEqual(len(self.leads()), 3)
        self.assertEqual(len(self.form.submission_ids), 3)  # refusals by the limit: no rows
        # Another form has its own counter.
        self.assertEqual(self.post(other, {"contact_name": "Z"}, headers=JSON).status_code, 200)

    def test_invalid_posts_count_against_the_limit_too(self):
        self.form.ip_rate_limit = 2
        self.post(self.form, {"bogus": "1"}, headers=JSON)
        self.post(self.form, {"bogus": "1"}, headers=JSON)
        self.assertEqual(self.post(self.form, self.good(), headers=JSON).status_code, 429)

    def test_form_wide_limit(self):
        self.form.form_rate_limit = 1
        self.assertEqual(self.post(self.form, self.good(), headers=JSON).status_code, 200)
        self.assertEqual(self.post(self.form, self.good(), headers=JSON).status_code, 429)

    def test_builtin_captcha(self):
        self.form.captcha = True
        challenge = self.url_open(f"/crm_webforms/{self.form.key}/captcha").json()
        self.assertTrue(challenge["image"].startswith("data:image/png;base64,"))
        token = challenge["token"]
        answer = self.solve(self.form, token)
        wrong = str(int(answer) + 1)
        no_captcha = self.post(self.form, self.good(), headers=JSON)
        self.assertEqual(no_captcha.json()["error"], "captcha_missing")
        wrong_answer = self.post(self.form, self.good(_wf_captcha_token=token, _wf_captcha=wrong),
                                 headers=JSON)
        self.assertEqual(wrong_answer.json()["error"], "captcha_wrong")
        self.assertFalse(self.leads())
        right = self.post(self.form, self.good(_wf_captcha_token=token, _wf_captcha=answer),
                          headers=JSON)
        self.assertEqual(right.json(), {"ok": True})
        replay = self.post(self.form, self.good(_wf_captcha_token=token, _wf_captcha=answer),
                           headers=JSON)
        self.assertEqual(replay.json()["error"], "captcha_used")
        other = self.make_form("lead", [("contact_name", True)])
        foreign = self.post(other, {"contact_name": "X", "_wf_captcha_token": token,
                                    "_wf_captcha": answer}, headers=JSON)
        self.assertEqual(foreign.json()["error"], "captcha_invalid")
        self.assertEqual(len(self.leads()), 1)

    def test_third_party_captcha_is_verified_with_the_provider(self):
        peer = self.start_peer(CaptchaVerifyPeer)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm_webforms.turnstile_verify_url", peer.turnstile_url)
        params.set_param("crm_webforms.recaptcha_verify_url", peer.recaptcha_url)
        self.form.write({"captcha": True, "captcha_provider": "turnstile",
                         "captcha_site_key": "site-1", "captcha_secret_key": "test-secret"})
        token = peer.issue_token("solved-1")
        ok = self.post(self.form, self.good(**{"cf-turnstile-response": token}), headers=JSON)
        self.assertEqual(ok.json(), {"ok": True})
        sent = peer.requests_to("POST", peer.TURNSTILE_PATH)[0]
        self.assertEqual(parse_qs(sent.body.decode()),
                         {"secret": ["test-secret"], "response": ["solved-1"],
                          "remoteip": ["127.0.0.1"]})
        again = self.post(self.form, self.good(**{"cf-turnstile-response": token}), headers=JSON)
        self.assertEqual(again.json()["error"], "captcha_wrong")
        self.assertIn("timeout-or-duplicate", again.json()["messages"]["captcha"])

        self.form.write({"captcha_provider": "recaptcha", "captcha_secret_key": "wrong"})
        refused = self.post(self.form, self.good(**{"g-recaptcha-response":
                                                    peer.issue_token("solved-2")}),
                            headers=JSON)
        self.assertIn("invalid-input-secret", refused.json()["messages"]["captcha"])
        peer.inject("POST", peer.RECAPTCHA_PATH, status=503, times=None)
        self.form.captcha_secret_key = "test-secret"
        down = self.post(self.form, self.good(**{"g-recaptcha-response":
                                                 peer.issue_token("solved-3")}), headers=JSON)
        self.assertEqual(down.json()["error"], "captcha_unavailable")
        self.assertEqual(len(self.leads()), 1)

    # ------------------------------------------------------------------ back office

    def test_preview_and_the_forms_counters(self):
        self.post(self.form, self.good(), headers=JSON)
        self.post(self.form, self.good(bogus="1"), headers=JSON)
        self.assertEqual((self.form.submission_count, self.form.accepted_count,
                          self.form.record_count), (2, 1, 1))
        records = self.form.action_view_records()
        self.assertEqual(self.env[records["res_model"]].search(records["domain"]), self.leads())
        submissions = self.form.action_view_submissions()
        self.assertEqual(len(self.env["crm.webform.submission"].search(submissions["domain"])),
                         2)
        anonymous = self.url_open(f"/crm_webforms/{self.form.key}/preview",
                                  allow_redirects=False)
        self.assertNotEqual(anonymous.status_code, 200)  # the preview is for users only
        self.authenticate("wf_manager", "wf_manager")
        self.form.user_id = self.manager  # in the manager's company
        preview = self.url_open(f"/crm_webforms/{self.form.key}/preview")
        self.assertEqual(preview.status_code, 200)
        self.assertIn(f"/crm_webforms/{self.form.key}/submit", preview.text)
