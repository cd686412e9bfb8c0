"""What a person clicks, in a real browser."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import SocialCase


@tagged("post_install", "-at_install")
class TestSocialTours(SocialCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tour_user = new_test_user(
            cls.env, "social_tour",
            groups="sales_team.group_sale_salesman,base.group_partner_manager")

    def test_send_message_from_a_contact(self):
        self.vk.add_user(7, "ivan")
        partner = self.env["res.partner"].create({"name": "Ivan", "social_vk_url": "vk.com/ivan"})

        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_social_send_tour",
                        login="social_tour")

        self.assertEqual([m["text"] for m in self.vk.messages_with(7)], ["Hello from the tour"])
        message = self.env["crm.social.message"].search([("partner_id", "=", partner.id)])
        self.assertEqual((message.state, message.author_id.login), ("sent", "social_tour"))

    def test_import_profile_on_a_lead(self):
        self.vk.add_user(7, first_name="Ivan", last_name="Petrov",
                         city={"id": 1, "title": "Москва"})
        lead = self.env["crm.lead"].create({"name": "Tour lead", "type": "opportunity",
                                               "user_id": self.tour_user.id})

        self.start_tour(f"/odoo/crm/{lead.id}", "crm_social_import_tour", login="social_tour")

        self.assertEqual((lead.contact_name, lead.city), ("Ivan Petrov", "Москва"))
        self.assertEqual(lead.social_vk_url, "https://vk.com/id7")

    def test_connect_x_with_pkce_in_the_browser(self):
        self.start_tour("/odoo/action-crm.crm_config_settings_action",
                        "crm_social_x_connect_tour", login="admin")

        service = self.env["crm.social.service"]
        self.assertEqual(service._param("x_username"), "acme_sales")
        self.assertIn(service._param("x_access_token"), self.x.access_tokens)
        self.assertEqual(self.x.refresh_tokens, {service._param("x_refresh_token")})
        # The browser went to X with a S256 challenge and a signed state.
        authorize = self.x.requests_to("GET", "/i/oauth2/authorize")[0]
        self.assertEqual(authorize.query["code_challenge_method"], ["S256"])
        state = authorize.query["state"][0]
        admin = self.env.ref("base.user_admin")
        self.assertTrue(self.env["res.config.settings"].with_user(admin)
                        ._social_x_check_state(state), "signed for this user")

    def test_forged_callback_is_refused(self):
        self.authenticate("admin", "admin")
        response = self.url_open("/crm_social/x/callback?state=abc.def&code=stolen")
        self.assertEqual(response.status_code, 400)
        # A genuine state, but made for another user's browser: refused as well.
        other_state = self.env["res.config.settings"].with_user(
            self.tour_user)._social_x_state("n1")
        response = self.url_open(f"/crm_social/x/callback?state={other_state}&code=c")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.x.requests_to("POST", "/2/oauth2/token"))
        self.assertFalse(self.env["crm.social.service"]._param("x_access_token"))

    def test_saved_secret_never_comes_back_to_the_browser(self):
        self.authenticate("admin", "admin")
        spec = {"crm_social_vk_token": {}, "crm_social_secrets_saved": {}}
        saved = self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.config.settings/web_save",
            {"model": "res.config.settings", "method": "web_save",
             "args": [[], {"crm_social_vk_token": "brand-new-secret"}],
             "kwargs": {"specification": spec}})
        self.assertNotIn("brand-new-secret", str(saved))
        self.assertEqual(self.env["crm.social.service"]._param("vk_token"), "brand-new-secret")
        fresh = self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.config.settings/onchange",
            {"model": "res.config.settings", "method": "onchange",
             "args": [[], {}, [], spec], "kwargs": {}})
        self.assertNotIn("brand-new-secret", str(fresh))
        self.assertIn("VK access token", fresh["value"]["crm_social_secrets_saved"])
