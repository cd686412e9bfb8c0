"""Exchange Online: the Add account wizard and the sync, through msal and requests over
HTTPS against GraphPeer (Microsoft's identity platform and Graph v1.0 contacts)."""

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user
from peers import GraphPeer, PeerCaseMixin

ANN = "ann@contoso.com"


class TestExchangeOnline(PeerCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(GraphPeer)
        cls.user = new_test_user(cls.env, "onlineuser", name="Olga Online",
                                 email="olga@x.test",
                                 groups="base.group_user,base.group_partner_manager")

    def wizard(self, **vals):
        wizard = self.env["crm.exchange.add.account"].with_user(self.user).create(dict({
            "mail_provider": "exchange_online", "tenant": self.peer.TENANT_DOMAIN,
            "client_id": self.peer.CLIENT_ID, "client_secret": self.peer.CLIENT_SECRET,
            "auth_flow": "client_credentials", "login": ANN,
            "authority_host": self.peer.url, "graph_endpoint": f"{self.peer.url}/v1.0"},
            **vals))
        # the peer's test CA: a file on the server to trust, which only an administrator
        # may name
        wizard.sudo().ca_bundle = self.peer.ca_file
        return wizard

    def test_only_an_administrator_names_a_ca_file(self):
        from odoo.exceptions import AccessError
        with self.assertRaises(AccessError):
            self.env["crm.exchange.add.account"].with_user(self.user).create({
                "mail_provider": "exchange_online", "ca_bundle": "/etc/passwd"})

    def connected_account(self):
        wizard = self.wizard()
        wizard.action_authorize()
        return wizard.account_id

    def sync(self, account):
        return self.env["crm.sync.runner"].with_user(self.user)._run_account(account)

    def test_authorize_with_a_client_secret(self):
        folder = self.peer.add_folder("Partners")
        wizard = self.wizard()
        wizard.action_authorize()
        account = wizard.account_id
        self.assertEqual((account.provider, account.login, account.exchange_tenant),
                         ("exchange_online", ANN, self.peer.TENANT_DOMAIN))
        self.assertEqual(account.credentials_info, "Client secret")
        self.assertFalse(account.exchange_client_secret)  # write-only
        self.assertEqual(account.exchange_all_folder_ids.mapped("remote_id"),
                         [self.peer.root_folder_id(), folder])

    def test_wrong_secret_and_missing_permission_are_said_at_once(self):
        with self.assertRaisesRegex(UserError, "AADSTS7000215"):
            self.wizard(client_secret="wrong").action_authorize()
        self.peer.set_roles(self.peer.CLIENT_ID, [])
        with self.assertRaisesRegex(UserError, "Exchange did not accept"):
            self.wizard().action_authorize()
        self.assertFalse(self.env["crm.sync.account"].search(
            [("provider", "=", "exchange_online")]))

    def test_device_code_sign_in(self):
        wizard = self.wizard(client_id=self.peer.PUBLIC_CLIENT_ID, auth_flow="device_code",
                             login=False, client_secret=False)
        wizard.action_authorize()
        self.assertEqual(wizard.state, "device")
        user_code = wizard.device_flow["user_code"]
        self.assertIn(user_code, wizard.device_message)
        with self.assertRaisesRegex(UserError, "not confirmed the sign-in yet"):
            wizard.action_device_done()
        self.peer.approve_device_code(user_code)
        wizard.action_device_done()
        account = wizard.account_id
        self.assertEqual((account.login, account.exchange_auth_flow), (ANN, "device_code"))
        self.assertEqual(account.credentials_info, "token cache")
        self.peer.add_contact({"givenName": "Dev", "surname": "Ice", "displayName": "Dev Ice"})
        run = self.sync(account)
        self.assertEqual((run.state, run.local_created), ("done", 1), run.message)

    def test_declined_device_code(self):
        wizard = self.wizard(client_id=self.peer.PUBLIC_CLIENT_ID, auth_flow="device_code",
                             login=False, client_secret=False)
        wizard.action_authorize()
        self.peer.decline_device_code(wizard.device_flow["user_code"])
        with self.assertRaisesRegex(UserError, "declined"):
            wizard.action_device_done()

    def test_two_way_sync_with_tags_conflicts_and_gone_delta(self):
        account = self.connected_account()
        account.write({"exchange_export_mode": "groups", "exchange_export_category_ids": [
            (6, 0, self.env["res.partner.category"].create({"name": "M365"}).ids)]})
        remote = self.peer.add_contact({
            "givenName": "Gina", "surname": "Graph", "displayName": "Gina Graph",
            "companyName": "Contoso", "emailAddresses": [{"address": "gina@contoso.com"}],
            "mobilePhone": "+1 5", "categories": ["M365"]})
        run = self.sync(account)
        self.assertEqual(run.local_created, 1, run.message)
        gina = self.env["res.partner"].search([("crm_exchange_account_ids", "in", account.ids)])
        self.assertEqual((gina.name, gina.email, gina.mobile, gina.company_name),
                         ("Gina Graph", "gina@contoso.com", "+1 5", "Contoso"))

        local = self.env["res.partner"].with_user(self.user).create({
            "name": "Otto Odoo", "email": "otto@x.test",
            "category_id": [(6, 0, account.exchange_export_category_ids.ids)]})
        run = self.sync(account)
        self.assertEqual(run.remote_created, 1, run.message)
        [created] = [c for c in self.peer.contacts() if c["displayName"] == "Otto Odoo"]
        tags = {p["value"] for p in created.get("singleValueExtendedProperties", [])}
        self.assertTrue(any(t.endswith(f":{local.id}") for t in tags))

        # Edited on both sides: Exchange wins by the account's policy.
        account.conflict_policy = "remote"
        gina.with_user(self.user).function = "Odoo title"
        self.peer.edit_contact(remote["id"], {"jobTitle": "Graph title"})
        run = self.sync(account)
        self.assertEqual((run.conflicts, gina.function), (1, "Graph title"), run.message)

        self.peer.expire_delta_tokens()
        run = self.sync(account)
        self.assertTrue(run.full_resync)
        self.assertEqual(len(self.peer.contacts()), 2)  # nothing duplicated
        self.assertEqual(len(self.env["res.partner"].search(
            [("name", "in", ["Gina Graph", "Otto Odoo"])])), 2)

    def test_throttled_run_is_rescheduled(self):
        account = self.connected_account()
        self.peer.throttle(retry_after=3600, times=20)
        run = self.sync(account)
        self.assertEqual(run.state, "failed")
        self.assertNotEqual(account.state, "error")
        self.assertGreater(account.next_sync_at, account.last_sync_at)

    def test_sign_in_again_after_the_device_sign_in_expired(self):
        wizard = self.wizard(client_id=self.peer.PUBLIC_CLIENT_ID, auth_flow="device_code",
                             login=False, client_secret=False)
        wizard.action_authorize()
        self.peer.approve_device_code(wizard.device_flow["user_code"])
        wizard.action_device_done()
        account = wizard.account_id
        self.peer.expire_access_tokens()
        self.peer.expire_refresh_tokens()
        run = self.sync(account)
        self.assertEqual((run.state, account.state), ("failed", "error"))

        action = account.with_user(self.user).action_exchange_reconnect()
        again = self.env["crm.exchange.add.account"].with_user(self.user).with_context(
            action["context"]).create({})
        self.assertEqual((again.mail_provider, again.tenant, again.auth_flow),
                         ("exchange_online", self.peer.TENANT_DOMAIN, "device_code"))
        again.action_authorize()
        self.peer.approve_device_code(again.device_flow["user_code"])
        again.action_device_done()
        self.assertEqual(again.account_id, account)  # the same account, not a new one
        self.assertEqual(account.state, "connected")
        self.assertEqual(self.env["crm.sync.account"].search_count(
            [("provider", "=", "exchange_online")]), 1)
        self.assertEqual(self.sync(account).state, "done")
