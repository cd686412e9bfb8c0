from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import GoogleCase


def person(name, email=None, **extra):
    data = {"names": [{"unstructuredName": name}]}
    if email:
        data["emailAddresses"] = [{"value": email}]
    data.update(extra)
    return data


@tagged("post_install", "-at_install")
class TestGoogleContacts(GoogleCase):
    def setUp(self):
        super().setUp()
        self.connect()

    def test_first_sync_creates_group_and_imports_only_its_members(self):
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        group = self.group()
        self.assertTrue(group, "the first sync creates the contact group in Google")
        self.assertFalse(self.tagged())
        # Seed 001: the user moves Google contacts into the group, syncs again.
        inside = self.peer.add_person(person("Ann Lee", "ann@x.test",
                                             phoneNumbers=[{"value": "+1 555", "type": "work"},
                                                           {"value": "+1 777", "type": "mobile"}],
                                             organizations=[{"name": "Acme", "title": "CEO"}],
                                             biographies=[{"value": "Met at the fair"}],
                                             addresses=[{"streetAddress": "1 Main St",
                                                         "city": "Riga", "postalCode": "LV-1",
                                                         "countryCode": "LV"}]),
                                      groups=("contactGroups/myContacts",
                                              group["resourceName"]))
        self.peer.add_person(person("Outside Person", "out@x.test"))
        run = self.sync()
        self.assertEqual(run.local_created, 1, run.message)
        ann = self.tagged()
        self.assertEqual(ann.name, "Ann Lee")
        self.assertEqual(ann.email, "ann@x.test")
        self.assertEqual((ann.phone, ann.mobile), ("+1 555", "+1 777"))
        self.assertEqual((ann.company_name, ann.function), ("Acme", "CEO"))
        self.assertEqual((ann.street, ann.city, ann.zip, ann.country_id.code),
                         ("1 Main St", "Riga", "LV-1", "LV"))
        self.assertIn("Met at the fair", ann.comment)
        binding = self.env["crm.sync.binding"].search([("account_id", "=", self.account.id)])
        self.assertEqual(binding.remote_id, inside["resourceName"])

    def test_export_tagged_partner_into_group_and_incremental(self):
        self.sync()
        bob = self.make_partner("Bob Stone", email="bob@x.test", phone="123",
                                function="Buyer")
        run = self.sync()
        self.assertEqual(run.remote_created, 1, run.message)
        members = self.peer.live_people(self.group()["resourceName"])
        self.assertEqual(len(members), 1)
        self.assertEqual(members[0]["names"][0]["unstructuredName"], "Bob Stone")
        self.assertEqual(members[0]["emailAddresses"][0]["value"], "bob@x.test")
        self.assertEqual(members[0]["organizations"][0]["title"], "Buyer")
        # Nothing changed: one group lookup and one incremental listing, no write.
        before = len(self.peer.requests)
        run = self.sync()
        self.assertEqual(len(self.peer.requests) - before, 2)
        self.assertFalse(run.remote_updated + run.local_updated)
        # An edit in Odoo moves with the etag just read; other Google values stay.
        rn = members[0]["resourceName"]
        self.peer.edit_person(rn, {"emailAddresses": [{"value": "bob@x.test"},
                                                      {"value": "bob.home@x.test"}]})
        self.sync()
        bob.email = "bob@new.test"
        run = self.sync()
        self.assertEqual(run.remote_updated, 1, run.message)
        emails = [e["value"] for e in self.peer.person(rn)["emailAddresses"]]
        self.assertEqual(emails, ["bob@new.test", "bob.home@x.test"])

    def test_expired_sync_token_full_resync_without_duplicates(self):
        self.sync()
        group = self.group()["resourceName"]
        for i in range(3):
            self.peer.add_person(person(f"P{i}", f"p{i}@x.test"),
                                 groups=("contactGroups/myContacts", group))
        self.make_partner("Local One", email="l1@x.test")
        self.sync()
        self.assertEqual(len(self.tagged()), 4)
        self.peer.expire_sync_tokens()
        run = self.sync()
        self.assertTrue(run.full_resync)
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(len(self.tagged()), 4)
        self.assertEqual(len(self.peer.live_people(group)), 4)
        refused = [r for r in self.peer.requests_to("GET", r"/v1/people/me/connections")
                   if r.query.get("syncToken")]
        self.assertTrue(refused)

    def test_deletions_only_unlink(self):
        self.sync()
        group = self.group()["resourceName"]
        a = self.peer.add_person(person("Gone Google", "gg@x.test"),
                                 groups=("contactGroups/myContacts", group))
        b = self.peer.add_person(person("Left Group", "lg@x.test"),
                                 groups=("contactGroups/myContacts", group))
        local = self.make_partner("Untag Me", email="um@x.test")
        self.sync()
        self.assertEqual(len(self.tagged()), 3)
        # Google: one deleted, one taken out of the group; Odoo: the tag removed.
        self.peer.delete_person(a["resourceName"])
        self.peer.set_membership(b["resourceName"], group, False)
        local.category_id = [(3, self.category.id)]
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertFalse(self.tagged(), "they all leave the tag")
        names = self.env["res.partner"].search([("name", "in", ["Gone Google", "Left Group",
                                                                "Untag Me"])])
        self.assertEqual(len(names), 3, "nothing is deleted in Odoo")
        remote_local = [p for p in self.peer.live_people() if p["names"][0]["unstructuredName"]
                        == "Untag Me"]
        self.assertEqual(len(remote_local), 1, "nothing is deleted in Google")
        self.assertNotIn(group, [m["contactGroupMembership"]["contactGroupResourceName"]
                                 for m in remote_local[0]["memberships"]])
        self.assertEqual(run.local_unlinked, 2)
        self.assertEqual(run.remote_unlinked, 1)

    def test_concurrent_edit_newest_wins_and_etag_conflict(self):
        self.sync()
        group = self.group()["resourceName"]
        p = self.peer.add_person(person("Carl", "carl@x.test"),
                                 groups=("contactGroups/myContacts", group))
        self.sync()
        carl = self.tagged()
        carl.email = "carl@odoo.test"  # Odoo first...
        self.env.cr.execute("UPDATE crm_sync_binding SET local_changed_at = "
                            "now() at time zone 'UTC' - interval '1 hour'")
        self.peer.edit_person(p["resourceName"], {"emailAddresses": [{"value":
                                                                      "carl@google.test"}]})
        run = self.sync()  # ...Google later: Google wins
        self.assertEqual(run.conflicts, 1)
        self.assertEqual(carl.email, "carl@google.test")
        self.assertEqual(self.peer.person(p["resourceName"])["emailAddresses"][0]["value"],
                         "carl@google.test")
        line = run.line_ids.filtered(lambda line: line.level == "conflict")
        self.assertEqual(line.discarded["email"], "carl@odoo.test")

    def test_field_choice_leaves_other_fields_alone(self):
        self.account.google_sync_phones = False
        self.sync()
        group = self.group()["resourceName"]
        p = self.peer.add_person(person("Dora", "dora@x.test",
                                        phoneNumbers=[{"value": "999"}]),
                                 groups=("contactGroups/myContacts", group))
        self.sync()
        dora = self.tagged()
        self.assertFalse(dora.phone)
        dora.write({"phone": "111", "email": "dora@odoo.test"})
        self.sync()
        stored = self.peer.person(p["resourceName"])
        self.assertEqual(stored["phoneNumbers"][0]["value"], "999")
        self.assertEqual(stored["emailAddresses"][0]["value"], "dora@odoo.test")

    def test_revoked_token_is_shown_on_the_account(self):
        self.sync()
        self.peer.revoke()
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.account.state, "error")
        self.assertIn("invalid_grant", self.account.last_error)
        self.assertIn("Reconnect", self.account.last_error)

    def test_access_token_refreshed_and_rotated_refresh_token_kept(self):
        self.sync()
        self.peer.rotate_refresh_token = True
        self.peer.expire_access_token()
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        secrets = self.account.sudo()._sync_credentials()
        self.assertEqual(secrets["refresh_token"], self.peer.refresh_token)
        self.assertEqual(secrets["access_token"], self.peer.access_token)
        self.assertNotEqual(secrets["refresh_token"], "rt-1")

    def test_quota_429_waits_retry_after(self):
        self.sync()
        self.peer.inject("GET", r"/v1/people/me/connections", status=429,
                         headers={"Retry-After": "1"},
                         json={"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                         "message": "Quota exceeded"}})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        first, retry = self.peer.requests_to("GET", r"/v1/people/me/connections")[-2:]
        self.assertGreaterEqual(retry.time - first.time, 1)

    def test_lost_create_answer_is_adopted_not_duplicated(self):
        self.sync()
        self.make_partner("Eve Lost", email="eve@x.test")
        self.peer.inject("POST", r"/v1/people:createContact", lose_response=True, times=2)
        run = self.sync()
        self.assertEqual(run.failed, 1)
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        eves = [p for p in self.peer.live_people() if p["names"][0]["unstructuredName"]
                == "Eve Lost"]
        self.assertEqual(len(eves), 1)
        self.assertEqual(len(self.env["crm.sync.binding"].search(
            [("account_id", "=", self.account.id), ("remote_id", "!=", False)])), 1)

    def test_malformed_item_fails_alone(self):
        self.sync()
        group = self.group()["resourceName"]
        self.peer.add_person({"emailAddresses": [{"value": "noname@x.test"}]},
                             groups=("contactGroups/myContacts", group))
        self.peer.add_person(person("Fine Person", "fine@x.test"),
                             groups=("contactGroups/myContacts", group))
        run = self.sync()
        self.assertEqual(run.state, "partial")
        self.assertEqual(run.failed, 1)
        self.assertEqual(self.tagged().mapped("name"), ["Fine Person"])
        self.make_partner("Bad Mail", email="a b@@x")
        run = self.sync()
        self.assertTrue(run.line_ids.filtered(lambda line: "Invalid email" in (line.reason or "")))

    def test_disconnect_keeps_data_on_both_sides(self):
        self.sync()
        self.make_partner("Keep Me", email="keep@x.test")
        self.sync()
        self.account.oauth_connected_at = "2026-01-01 00:00:00"
        self.account.with_user(self.user).action_oauth_disconnect()
        self.assertFalse(self.env["crm.sync.binding"].search(
            [("account_id", "=", self.account.id)]))
        self.assertEqual(self.account.state, "draft")
        self.assertNotIn("refresh_token", self.account.sudo()._sync_credentials())
        self.assertTrue(self.tagged())
        self.assertEqual(len(self.peer.live_people()), 1)

    def test_test_connection_and_revoked_access(self):
        action = self.account.with_user(self.user).action_test_connection()
        self.assertIn("owner@example.com", action["params"]["message"])
        self.peer.revoke()
        with self.assertRaisesRegex(UserError, "invalid_grant"):
            self.account.with_user(self.user).action_test_connection()
        self.assertEqual(self.account.state, "error")

    def test_export_uses_the_batch_endpoint_and_a_bad_item_fails_alone(self):
        self.sync()
        for name in ("Ann One", "Ben Two", "Cy Three"):
            self.make_partner(name, email=f"{name.split()[0].lower()}@x.test")
        run = self.sync()
        self.assertEqual(run.remote_created, 3, run.message)
        self.assertEqual(len(self.peer.requests_to("POST", r"/v1/people:batchCreateContacts")), 1)
        self.assertFalse(self.peer.requests_to("POST", r"/v1/people:createContact"))
        self.assertEqual(len(self.peer.live_people(self.group()["resourceName"])), 3)
        # One bad e-mail: Google refuses the whole batch, the items go one by one.
        self.make_partner("Dee Four", email="dee@x.test")
        self.make_partner("Bad Five", email="a b@@x")
        run = self.sync()
        self.assertEqual((run.remote_created, run.failed), (1, 1), run.message)
        self.assertEqual(len(self.peer.live_people(self.group()["resourceName"])), 4)
        # A lost batch answer: the contacts exist in Google and are adopted, not doubled.
        self.make_partner("Eli Six", email="eli@x.test")
        self.make_partner("Flo Seven", email="flo@x.test")
        self.peer.inject("POST", r"/v1/people:batchCreateContacts", lose_response=True)
        run = self.sync()
        self.assertEqual(run.failed, 3)  # the two, and the bad e-mail again
        run = self.sync()
        names = [p["names"][0]["unstructuredName"] for p in self.peer.live_people()]
        self.assertEqual(sorted(n for n in names if n in ("Eli Six", "Flo Seven")),
                         ["Eli Six", "Flo Seven"])

    def _import(self, count):
        """``count`` contacts of our group, each with a second e-mail and a home phone
        Odoo has no field for, imported into Odoo. Returns their resource names."""
        self.sync()
        group = self.group()["resourceName"]
        names = []
        for index in range(count):
            added = self.peer.add_person(person(
                f"Person {index:03d}", f"p{index}@x.test",
                emailAddresses=[{"value": f"p{index}@x.test"},
                                {"value": f"p{index}@home.test", "type": "home"}],
                phoneNumbers=[{"value": f"+1 {index}", "type": "home"}]),
                groups=("contactGroups/myContacts", group))
            names.append(added["resourceName"])
        run = self.sync()
        self.assertEqual(run.local_created, count, run.message)
        return names

    def test_updates_and_releases_go_in_batches(self):
        names = self._import(300)
        self.tagged().write({"function": "Buyer"})
        before = len(self.peer.requests)
        run = self.sync()
        self.assertEqual((run.remote_updated, run.failed), (300, 0), run.message)
        # Two batchGet + two batchUpdateContacts instead of 300 GET + 300 updateContact.
        self.assertEqual(len(self.peer.requests_to(None, r"/v1/people:batchGet")), 2)
        self.assertEqual(
            len(self.peer.requests_to("POST", r"/v1/people:batchUpdateContacts")), 2)
        self.assertFalse(self.peer.requests_to("PATCH", r"/v1/people/[^/]+:updateContact"))
        self.assertFalse(self.peer.requests_to("GET", r"/v1/people/c\d+"))
        self.assertLessEqual(len(self.peer.requests) - before, 6)
        for index, rn in enumerate(names):
            stored = self.peer.person(rn)
            self.assertEqual(stored["organizations"][0]["title"], "Buyer")
            self.assertEqual([e["value"] for e in stored["emailAddresses"]],
                             [f"p{index}@x.test", f"p{index}@home.test"])
            self.assertEqual(stored["phoneNumbers"], [{"value": f"+1 {index}",
                                                       "type": "home"}])
        # Nothing changed since: the next run writes nothing.
        run = self.sync()
        self.assertFalse(run.remote_updated + run.local_updated + run.failed, run.message)
        # 140 leave the category: they leave the group in one members:modify call per
        # batch, and stay in Google.
        group = self.group()["resourceName"]
        leaving = self.tagged().sorted("name")[:140]
        leaving.write({"category_id": [(3, self.category.id)]})
        modify = r"/v1/contactGroups/[^/]+/members:modify"
        before = len(self.peer.requests_to("POST", modify))
        run = self.sync()
        self.assertEqual((run.remote_unlinked, run.failed), (140, 0), run.message)
        self.assertLessEqual(len(self.peer.requests_to("POST", modify)) - before, 2)
        self.assertEqual(len(self.peer.live_people(group)), 160)
        self.assertEqual(len(self.peer.live_people()), 300, "nothing is deleted in Google")
        self.assertEqual(len(self.tagged()), 160)

    def test_stale_etag_in_a_batch_fails_only_that_contact(self):
        names = self._import(4)
        self.tagged().write({"function": "Buyer"})
        # Google changes one contact between our batch read and our batch write: the
        # whole batchUpdateContacts is refused, the contacts go one by one, and only
        # the changed one fails (it is reconciled by the next run).
        self.peer.edit_before("POST", r"/v1/people:batchUpdateContacts", names[1],
                              {"urls": [{"value": "https://one.test"}]})
        run = self.sync()
        self.assertEqual((run.remote_updated, run.failed), (3, 1), run.message)
        titles = [(self.peer.person(rn).get("organizations") or [{}])[0].get("title")
                  for rn in names]
        self.assertEqual(titles, ["Buyer", None, "Buyer", "Buyer"])
        line = run.line_ids.filtered(lambda line: line.level == "error")
        self.assertEqual(line.remote_id, names[1])
        self.assertIn("Changed remotely", line.reason)
        self.assertEqual(self.peer.person(names[1])["urls"], [{"value": "https://one.test"}])
        run = self.sync()
        self.assertEqual((run.state, run.failed), ("done", 0), run.message)
        # Changed between the listing and our batch read: that one fails before the
        # write, the others are written in the same batch call.
        self.tagged().write({"function": "Seller"})
        calls = len(self.peer.requests_to("POST", r"/v1/people:batchUpdateContacts"))
        self.peer.edit_before("GET", r"/v1/people:batchGet", names[2],
                              {"urls": [{"value": "https://two.test"}]})
        run = self.sync()
        self.assertEqual((run.remote_updated, run.failed), (3, 1), run.message)
        self.assertEqual(
            len(self.peer.requests_to("POST", r"/v1/people:batchUpdateContacts")) - calls, 1)
        self.assertEqual(self.peer.person(names[2])["organizations"][0]["title"], "Buyer")
        self.assertEqual(self.peer.person(names[0])["organizations"][0]["title"], "Seller")
