"""Who may read what: secrets never reach a browser, a second user neither reads the
first user's secrets nor runs their account."""

import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SyncCase


class TestSecretsOrm(SyncCase):
    def test_owner_gets_no_secret_back(self):
        account = self.account.with_user(self.user)
        account.password = "s3cret-pass"
        self.assertFalse(account.read(["password", "refresh_token"])[0]["password"])
        self.assertIn("Password", account.credentials_info)
        self.assertEqual(account.sudo()._sync_credentials()["password"], "s3cret-pass")

    def test_second_user_reads_nothing_and_runs_nothing(self):
        theirs = self.account.with_user(self.other_user)
        self.assertFalse(self.env["crm.sync.account"].with_user(self.other_user).search_read(
            [("id", "=", self.account.id)], ["name", "password"]))
        with self.assertRaises(AccessError):
            theirs.read(["name"])
        with self.assertRaises(AccessError):
            self.env["crm.sync.secret"].with_user(self.other_user).search_read([], ["value"])
        with self.assertRaises(AccessError):
            theirs.action_sync_now()
        with self.assertRaises(AccessError):
            theirs._sync_credentials()
        self.assertFalse(self.account.run_ids)

    def test_owner_cannot_read_the_secret_table_directly(self):
        with self.assertRaises(AccessError):
            self.env["crm.sync.secret"].with_user(self.user).search_read([], ["value"])

    def test_sales_manager_sees_all_accounts_but_changes_and_runs_only_their_own(self):
        manager = new_test_user(self.env, "salesboss",
                                groups="base.group_user,sales_team.group_sale_manager")
        theirs = self.account.with_user(manager)
        self.assertIn(self.account, self.env["crm.sync.account"].with_user(manager).search([]))
        self.assertEqual(theirs.name, "Test mailbox")
        with self.assertRaises(AccessError):
            theirs._sync_credentials()
        # Pointing another user's account at a server of one's own would make the
        # scheduled run send that user's credentials there.
        with self.assertRaises(AccessError):
            theirs.endpoint = "http://attacker.example"
        with self.assertRaises(AccessError):
            theirs.action_sync_now()
        mine = self.env["crm.sync.account"].with_user(manager).create({
            "name": "Manager's own", "provider": "test", "endpoint": self.peer.url})
        mine.endpoint = self.peer.url + "/"

    def test_administrator_manages_every_account(self):
        admin = self.env.ref("base.user_admin")
        self.account.with_user(admin).endpoint = self.peer.url
        self.assertIn("access_token", self.account.with_user(admin)._sync_credentials())


@tagged("post_install", "-at_install")
class TestSecretsOverHttp(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_test_user(cls.env, "owner_http", groups="base.group_user")
        cls.intruder = new_test_user(cls.env, "intruder_http", groups="base.group_user")
        cls.account = cls.env["crm.sync.account"].with_user(cls.owner).create({
            "name": "HTTP mailbox", "provider": "test", "endpoint": "http://127.0.0.1:9",
            "password": "very-secret-password"})

    def call(self, model, method, args, kwargs=None):
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                "model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"})
        self.assertNotIn("very-secret-password", response.text)
        return response.json()

    def test_web_read_never_returns_the_secret(self):
        self.authenticate("owner_http", "owner_http")
        answer = self.call("crm.sync.account", "web_read", [[self.account.id]],
                           {"specification": {"name": {}, "password": {},
                                              "credentials_info": {}}})
        record = answer["result"][0]
        self.assertEqual(record["name"], "HTTP mailbox")
        self.assertFalse(record["password"])
        self.assertIn("Password", record["credentials_info"])

    def test_web_save_does_not_echo_the_secret(self):
        self.authenticate("owner_http", "owner_http")
        answer = self.call("crm.sync.account", "web_save", [[self.account.id],
                           {"password": "very-secret-password"}],
                           {"specification": {"name": {}, "password": {}}})
        self.assertFalse(answer["result"][0]["password"])
        self.assertEqual(self.account.sudo()._sync_credentials()["password"],
                         "very-secret-password")

    def test_intruder_gets_errors_not_secrets(self):
        self.authenticate("intruder_http", "intruder_http")
        answer = self.call("crm.sync.account", "web_read", [[self.account.id]],
                           {"specification": {"name": {}, "password": {}}})
        self.assertIn("error", answer)
        answer = self.call("crm.sync.account", "web_search_read", [],
                           {"domain": [], "specification": {"name": {}}})
        self.assertEqual(answer["result"]["records"], [])
        answer = self.call("crm.sync.secret", "search_read", [[], ["value"]])
        self.assertIn("error", answer)
        answer = self.call("crm.sync.account", "action_sync_now", [[self.account.id]])
        self.assertIn("error", answer)
