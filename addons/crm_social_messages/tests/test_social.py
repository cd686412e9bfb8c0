"""Sending, profile import, VK history and the message journal, against the peers."""

import time
from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import SocialCase


@tagged("post_install", "-at_install")
class TestSocialMessages(SocialCase, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "social_sales",
                                 groups="sales_team.group_sale_salesman,base.group_partner_manager")

    def partner(self, **values):
        return self.env["res.partner"].with_user(self.user).create(
            dict({"name": "Ivan Petrov"}, **values))

    def messages(self, record):
        return self.env["crm.social.message"].search(
            [(record._social_message_link, "=", record.id)])

    # -- VK ------------------------------------------------------------------------

    def test_vk_message_by_screen_name(self):
        self.vk.add_user(7, "ivan.petrov", first_name="Ivan", last_name="Petrov")
        partner = self.partner(social_vk_url="https://m.vk.com/ivan.petrov")

        result = self.send(partner, ["vk"], "Hello from Odoo")

        message = self.messages(partner)
        self.assertEqual(message.state, "sent", message.error)
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual([m["text"] for m in self.vk.messages_with(7)], ["Hello from Odoo"])
        self.assertEqual(message.remote_id, str(self.vk.messages_with(7)[0]["id"]))
        self.assertEqual((message.author_id, message.recipient), (self.user, "7"))
        self.assertEqual(partner.social_vk_id, "7", "the resolved id is kept")
        self.assertEqual(partner.social_message_count, 1)
        # Asked once: the next message does not resolve the name again.
        self.send(partner, ["vk"], "Second")
        self.assertEqual(len(self.vk.requests_to("POST", "/method/utils.resolveScreenName")), 1)
        # A new URL may name someone else: the cached id goes with the old one.
        partner.social_vk_url = "https://vk.com/id9"
        self.assertFalse(partner.social_vk_id)

    def test_vk_lost_answer_is_delivered_once(self):
        self.vk.add_user(7)
        partner = self.partner(social_vk_url="https://vk.com/id7")
        # VK sends the message but the answer never arrives: the retry reuses random_id.
        self.vk.inject("POST", "/method/messages.send", lose_response=True)

        self.send(partner, ["vk"], "Only once")

        self.assertEqual(self.messages(partner).state, "sent")
        self.assertEqual(len(self.vk.requests_to("POST", "/method/messages.send")), 2)
        self.assertEqual(len(self.vk.messages_with(7)), 1)

    def test_vk_refusal_is_a_failed_message_and_send_again_works(self):
        self.vk.add_user(7)
        self.vk.closed.add(7)
        partner = self.partner(social_vk_url="https://vk.com/id7")

        result = self.send(partner, ["vk"], "Hi")

        message = self.messages(partner)
        self.assertEqual(message.state, "failed")
        self.assertIn("must write to you", message.error)
        self.assertIn("[VK error 901]", message.error)
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn(message.error, result["params"]["message"])
        random_id = message.random_id

        self.vk.closed.clear()  # the person wrote to the community
        message.with_user(self.user).action_retry()
        self.assertEqual(message.state, "sent")
        self.assertFalse(message.error)
        self.assertEqual(self.vk.sent_by_random_id, {(7, random_id): int(message.remote_id)})
        with self.assertRaises(UserError):
            message.action_retry()

    def test_reasons_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "crm_social_messages")])._update_translations(["ru_RU"])
        self.vk.add_user(7)
        self.vk.closed.add(7)
        # The context a Russian user's request carries.
        partner = self.partner(social_vk_url="https://vk.com/id7").with_context(lang="ru_RU")

        self.send(partner, ["vk"], "Привет")

        self.assertEqual(self.messages(partner).error,
                         "VK не позволяет написать этому пользователю первым: человек должен "
                         "сначала написать вам (или разрешить сообщения от сообщества). "
                         "[VK error 901]")
        with self.assertRaisesRegex(ValidationError, "не адрес VK"):
            partner.social_vk_url = "https://x.com/jack"

    def test_vk_throttling_waits_and_retries(self):
        self.vk.add_user(7)
        partner = self.partner(social_vk_url="https://vk.com/id7")
        self.vk.inject("POST", "/method/messages.send", status=200, times=2, json={
            "error": {"error_code": 6, "error_msg": "Too many requests per second"}})

        self.send(partner, ["vk"], "Patience")

        self.assertEqual(self.messages(partner).state, "sent")
        self.assertEqual(len(self.vk.messages_with(7)), 1)

    def test_vk_url_that_names_no_one(self):
        partner = self.partner(social_vk_url="https://vk.com/nobody.here")
        self.send(partner, ["vk"], "Hello?")
        message = self.messages(partner)
        self.assertEqual(message.state, "failed")
        self.assertIn("names no one", message.error)
        self.assertFalse(self.vk.requests_to("POST", "/method/messages.send"))

    def test_vk_bad_token_says_what_to_do(self):
        self.vk.add_user(7)
        self.service._set_params({"vk_token": "stale-token-123"})
        partner = self.partner(social_vk_url="https://vk.com/id7")
        self.send(partner, ["vk"], "Hi")
        message = self.messages(partner)
        self.assertEqual(message.state, "failed")
        self.assertIn("get a new token", message.error)
        self.assertNotIn("stale-token-123", message.error, "the token is never shown")

    def test_no_token_saved(self):
        self.service._set_params({"vk_token": False})
        partner = self.partner(social_vk_url="https://vk.com/id7")
        self.send(partner, ["vk"], "Hi")
        self.assertIn("Settings", self.messages(partner).error)

    # -- Facebook ---------------------------------------------------------------------

    def test_facebook_inside_and_outside_the_window(self):
        self.fb.add_person("9001", hours_since_message=2)
        self.fb.add_person("9002", hours_since_message=30)
        recent = self.partner(social_facebook_url="https://m.me/9001")
        old = self.partner(name="Old", social_facebook_url="https://m.me/9002")

        self.send(recent, ["facebook"], "Your order shipped")
        self.send(old, ["facebook"], "Promo!")

        self.assertEqual(self.messages(recent).state, "sent")
        failed = self.messages(old)
        self.assertEqual(failed.state, "failed")
        self.assertIn("within 24 hours", failed.error)
        self.assertEqual([s["psid"] for s in self.fb.sent], ["9001"])

        # A fitting message tag goes through outside the window.
        self.send(old, ["facebook"], "Your order shipped", facebook_tag="POST_PURCHASE_UPDATE")
        tagged_message = self.messages(old).filtered(lambda m: m.state == "sent")
        self.assertEqual(tagged_message.facebook_tag, "POST_PURCHASE_UPDATE")
        self.assertEqual(self.fb.sent[-1]["messaging_type"], "MESSAGE_TAG")

    def test_an_answer_of_unexpected_shape_fails_the_message_with_a_reason(self):
        self.fb.add_person("9001")
        partner = self.partner(social_facebook_url="https://m.me/9001")
        self.fb.inject("POST", r"/v21.0/\d+/messages", status=200, json={"ok": True})
        with self.assertLogs("odoo.addons.crm_social_messages.models.social_service",
                             "ERROR"):
            self.send(partner, ["facebook"], "Hi")
        message = self.messages(partner)
        self.assertEqual(message.state, "failed")
        self.assertIn("unexpected form", message.error)

    def test_facebook_human_agent_tag_is_seven_days(self):
        self.fb.add_person("9003", hours_since_message=24 * 8)
        partner = self.partner(social_facebook_url="https://m.me/9003")
        self.send(partner, ["facebook"], "Answer", facebook_tag="HUMAN_AGENT")
        self.assertEqual(self.messages(partner).state, "failed")

    def test_facebook_vanity_name_and_throttling(self):
        self.fb.add_person("9004", username="jane.doe.77")
        partner = self.partner(social_facebook_url="https://www.facebook.com/jane.doe.77")
        self.fb.inject("POST", r"/v21.0/\d+/messages", status=400, json={"error": {
            "message": "(#613) Calls to this api have exceeded the rate limit.",
            "type": "OAuthException", "code": 613}})

        self.send(partner, ["facebook"], "Hello Jane")

        self.assertEqual(self.messages(partner).state, "sent")
        self.assertEqual(partner.social_facebook_id, "9004")

    def test_facebook_unknown_name_and_bad_token(self):
        partner = self.partner(social_facebook_url="https://www.facebook.com/some.stranger")
        self.send(partner, ["facebook"], "Hi")
        self.assertIn("Page inbox", self.messages(partner).error)

        self.fb.add_person("9005")
        self.service._set_params({"facebook_page_token": "revoked"})
        other = self.partner(name="Other", social_facebook_url="https://m.me/9005")
        self.send(other, ["facebook"], "Hi")
        self.assertIn("Page access token", self.messages(other).error)

    # -- X ------------------------------------------------------------------------------

    def test_x_posts_at_handle_text(self):
        self.connect_x()
        partner = self.partner(social_x_url="https://twitter.com/Jack")
        self.send(partner, ["x"], "thanks for the order!")
        message = self.messages(partner)
        self.assertEqual(message.state, "sent", message.error)
        self.assertEqual(self.x.posts, [{"id": message.remote_id,
                                         "text": "@jack thanks for the order!"}])

    def test_x_expired_token_is_refreshed_and_rotation_kept(self):
        old = self.connect_x()
        self.x.access_tokens.clear()  # expired early on X's side
        partner = self.partner(social_x_url="https://x.com/jack")

        self.send(partner, ["x"], "hello")

        self.assertEqual(self.messages(partner).state, "sent")
        stored = self.service._param("x_refresh_token")
        self.assertNotEqual(stored, old["refresh_token"])
        self.assertEqual(self.x.refresh_tokens, {stored})

    def test_x_revoked_connection_is_shown_in_settings(self):
        self.connect_x()
        self.x.revoke_all()
        partner = self.partner(social_x_url="https://x.com/jack")

        self.send(partner, ["x"], "hello")

        message = self.messages(partner)
        self.assertEqual(message.state, "failed")
        self.assertIn("connects the X account again", message.error)
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.crm_social_x_account)
        self.assertIn("connects the X account again", settings.crm_social_x_status)
        self.assertFalse(self.service._param("x_refresh_token"))

    def test_x_rate_limit_waits_until_reset(self):
        self.connect_x()
        self.x.inject("POST", "/2/tweets", status=429, json={"title": "Too Many Requests"},
                      headers={"x-rate-limit-reset": str(int(time.time()) + 1),
                               "x-rate-limit-remaining": "0"})
        partner = self.partner(social_x_url="https://x.com/jack")
        self.send(partner, ["x"], "soon")
        self.assertEqual(self.messages(partner).state, "sent")
        self.assertEqual(len(self.x.posts), 1)

    def test_x_rate_limit_far_away_fails_with_the_time(self):
        self.connect_x()
        self.x.inject("POST", "/2/tweets", status=429, json={"title": "Too Many Requests"},
                      headers={"x-rate-limit-reset": str(int(time.time()) + 900)})
        partner = self.partner(social_x_url="https://x.com/jack")
        self.send(partner, ["x"], "later")
        self.assertIn("used up until", self.messages(partner).error)

    def test_x_no_credits_and_too_long(self):
        self.connect_x()
        self.x.credits = 0
        partner = self.partner(social_x_url="https://x.com/jack")
        self.send(partner, ["x"], "paid")
        self.assertIn("no API credits", self.messages(partner).error)
        self.send(partner, ["x"], "x" * 280)
        self.assertIn("Shorten", self.messages(partner)[0].error)
        self.assertEqual(self.x.posts, [])

    # -- several networks, the journal ---------------------------------------------------

    def test_one_person_on_several_networks(self):
        self.connect_x()
        self.vk.add_user(7)
        lead = self.env["crm.lead"].with_user(self.user).create({
            "name": "Big deal", "social_vk_url": "https://vk.com/id7",
            "social_x_url": "https://x.com/jack"})

        result = self.send(lead, ["vk", "x"], "Same text")

        self.assertEqual(sorted(self.messages(lead).mapped("network")), ["vk", "x"])
        self.assertEqual(set(self.messages(lead).mapped("state")), {"sent"})
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(lead.social_message_count, 2)
        action = lead.action_view_social_messages()
        self.assertEqual(self.env["crm.social.message"].search(action["domain"]),
                         self.messages(lead))

    def test_only_filled_networks_are_offered(self):
        partner = self.partner(social_x_url="https://x.com/jack")
        wizard = self.env["crm.social.send"].with_context(
            default_res_model="res.partner", default_res_id=partner.id).create({"body": "b"})
        self.assertEqual((wizard.can_vk, wizard.can_facebook, wizard.can_x),
                         (False, False, True))
        self.assertTrue(wizard.send_x, "the only network is chosen already")
        bare = self.partner(name="No profiles")
        with self.assertRaises(UserError):
            bare.action_social_send()
        with self.assertRaises(UserError):
            self.env["crm.social.service"]._send(partner, [], "text")

    def test_invalid_url_is_refused_on_save(self):
        with self.assertRaises(ValidationError):
            self.partner(social_vk_url="https://x.com/jack")
        with self.assertRaises(ValidationError):
            self.partner(social_x_url="https://x.com/home")

    def test_messages_survive_deletion_and_come_back(self):
        self.vk.add_user(7)
        partner = self.partner(social_vk_url="https://vk.com/id7")
        self.send(partner, ["vk"], "Kept")
        message = self.messages(partner)

        partner.action_archive()
        self.assertEqual(message.partner_id, partner, "archived: still linked")
        partner.action_unarchive()

        partner.unlink()
        self.assertTrue(message.exists())
        self.assertTrue(message.is_orphan)
        self.assertEqual(message.body, "Kept")

        restored = self.partner(name="Ivan again", social_vk_url="m.vk.com/id7")
        self.assertEqual(message.partner_id, restored)
        self.assertFalse(message.is_orphan)
        # A lead with the same profile does not take a partner's message.
        lead = self.env["crm.lead"].create({"name": "L", "social_vk_url": "https://vk.com/id7"})
        self.assertEqual(message.partner_id, restored)
        self.assertFalse(self.messages(lead))

    def test_deleted_lead_messages_relink_by_screen_name(self):
        self.vk.add_user(8, "olga")
        lead = self.env["crm.lead"].create({"name": "Olga's", "social_vk_url": "vk.com/olga"})
        self.send(lead, ["vk"], "Hi Olga")
        message = self.messages(lead)
        lead.unlink()
        self.assertTrue(message.is_orphan)
        new_lead = self.env["crm.lead"].create({"name": "Olga again"})
        new_lead.social_vk_url = "https://vk.com/olga"
        self.assertEqual(message.lead_id, new_lead)

    # -- VK history --------------------------------------------------------------------

    def test_get_messages_from_vk_twenty_newest_not_yet_imported(self):
        self.vk.add_user(7)
        for n in range(30):
            self.vk.add_message(7, f"m{n}", out=n % 3 == 0)
        partner = self.partner(social_vk_url="https://vk.com/id7")

        partner.action_social_get_vk()

        first = self.messages(partner)
        self.assertEqual(len(first), 20)
        self.assertEqual(set(first.mapped("body")), {f"m{n}" for n in range(10, 30)})
        self.assertEqual(first.filtered(lambda m: m.body == "m29").state, "received")
        sent = first.filtered(lambda m: m.body == "m27")
        self.assertEqual((sent.direction, sent.state), ("outgoing", "sent"))

        # Two new ones arrive; a message sent from Odoo is not imported a second time.
        self.vk.add_message(7, "new 1")
        self.send(partner, ["vk"], "from odoo")
        self.vk.add_message(7, "new 2")
        partner.action_social_get_vk()
        bodies = self.messages(partner).mapped("body")
        self.assertEqual(len(bodies), 33, "everything VK has, once")
        self.assertEqual(bodies.count("from odoo"), 1)
        self.assertIn("new 2", bodies)
        self.assertIn("m0", bodies, "older ones not yet in Odoo come after the newest")

        result = partner.action_social_get_vk()
        self.assertEqual(len(self.messages(partner)), 33)
        self.assertEqual(result["params"]["type"], "info")

    def test_get_messages_from_vk_bad_paths(self):
        partner = self.partner(social_vk_url="https://vk.com/ghost.user")
        with self.assertRaisesRegex(UserError, "names no one"):
            partner.action_social_get_vk()
        self.vk.add_user(7)
        partner.social_vk_url = "https://vk.com/id7"
        self.vk.inject("POST", "/method/messages.getHistory", status=200, times=None,
                       json={"error": {"error_code": 15, "error_msg": "Access denied"}})
        with self.assertRaisesRegex(UserError, "denied"):
            partner.action_social_get_vk()
        self.assertFalse(self.messages(partner))

    # -- profile import ------------------------------------------------------------------

    def test_import_fills_only_empty_fields(self):
        self.vk.add_user(7, "ivan.petrov", first_name="Ivan", last_name="Petrov",
                         bdate="3.4.1990", city={"id": 1, "title": "Москва"},
                         site="https://ivan.example https://other.example",
                         mobile_phone="+7 900 000-00-00",
                         photo_200=self.vk.url + "/photos/p.png")
        partner = self.partner(name="I. Petrov", city="Тверь")

        wizard = self.env["crm.social.import"].with_user(self.user).with_context(
            default_res_model="res.partner", default_res_id=partner.id).create(
            {"url": "https://vk.com/ivan.petrov"})
        result = wizard.action_import()

        self.assertEqual(partner.name, "I. Petrov", "filled fields are never overwritten")
        self.assertEqual(partner.city, "Тверь")
        self.assertEqual(partner.social_birthdate, date(1990, 4, 3))
        self.assertEqual(partner.website, "https://ivan.example")
        self.assertEqual(partner.phone, "+7 900 000-00-00")
        self.assertTrue(partner.image_1920)
        self.assertEqual(partner.social_vk_url, "https://vk.com/ivan.petrov")
        self.assertEqual(partner.social_vk_id, "7")
        self.assertIn("Birthday", result["params"]["message"])

        again = self.env["crm.social.import"].with_context(
            default_res_model="res.partner", default_res_id=partner.id).create({})
        self.assertEqual(again.url, "https://vk.com/ivan.petrov", "offered from the record")
        self.assertEqual(again.action_import()["params"]["type"], "info")

    def test_import_on_a_lead_from_x_and_facebook(self):
        self.connect_x()
        self.x.add_user("jack", name="Jack Dorsey", location="San Francisco",
                        url="https://jack.example")
        self.fb.add_person("9001", first_name="Jane", last_name="Doe")
        lead = self.env["crm.lead"].create({"name": "Opportunity"})

        self.env["crm.social.import"].with_context(
            default_res_model="crm.lead", default_res_id=lead.id).create(
            {"url": "x.com/jack"}).action_import()
        self.assertEqual((lead.contact_name, lead.city, lead.website),
                         ("Jack Dorsey", "San Francisco", "https://jack.example"))
        self.assertEqual(lead.social_x_url, "https://x.com/jack")

        partner = self.partner(name="")
        self.env["crm.social.import"].with_context(
            default_res_model="res.partner", default_res_id=partner.id).create(
            {"url": "https://m.me/9001"}).action_import()
        self.assertEqual(partner.name, "Jane Doe")

    def test_import_bad_paths_change_nothing(self):
        partner = self.partner(city="Тверь")
        wizard = self.env["crm.social.import"].with_context(
            default_res_model="res.partner", default_res_id=partner.id)
        self.connect_x()
        with self.assertRaisesRegex(UserError, "names no one"):
            wizard.create({"url": "https://x.com/nobody"}).action_import()
        with self.assertRaisesRegex(UserError, "not a VK, Facebook or X"):
            wizard.create({"url": "https://example.com/me"}).action_import()
        self.vk.add_user(5, "gone", deactivated="deleted")
        with self.assertRaisesRegex(UserError, "deleted or banned"):
            wizard.create({"url": "https://vk.com/gone"}).action_import()
        self.assertEqual(partner.city, "Тверь")
        self.assertFalse(partner.social_vk_url)

    # -- secrets -------------------------------------------------------------------------

    def test_secrets_are_write_only_and_admin_only(self):
        settings = self.env["res.config.settings"].create({
            "crm_social_vk_token": "new-vk-token", "crm_social_x_client_secret": ""})
        settings.execute()
        self.assertEqual(self.service._param("vk_token"), "new-vk-token")
        self.assertEqual(self.service._param("x_client_secret"), XPeer_SECRET,
                         "an empty field keeps the saved secret")
        fresh = self.env["res.config.settings"].create({})
        self.assertFalse(fresh.crm_social_vk_token)
        self.assertIn("VK access token", fresh.crm_social_secrets_saved)
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.user).check_access("read")
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.user).create({})

        fresh.action_social_forget_secrets()
        self.assertFalse(self.service._param("vk_token"))


XPeer_SECRET = "x-secret-1"
