"""utils/ews.py against the EWS peer, through exchangelib: plain Python, no records."""

from odoo.addons.crm_exchange_sync.utils import ews
from odoo.addons.crm_exchange_sync.utils.mapping import empty_contact
from odoo.addons.crm_sync_base.engine.adapter import (
    AccountContext,
    AuthFailed,
    RateLimited,
    TokenInvalid,
    VersionConflict,
)
from odoo.tests import TransactionCase
from peers import PeerCaseMixin
from peers.ews import EwsPeer


class TestEwsAdapter(PeerCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(EwsPeer)

    def ctx(self, password="secret", **settings):
        return AccountContext(account_id=1, provider="exchange_server",
                              endpoint=self.peer.service_url, login="user@example.com",
                              credentials={"password": password},
                              settings=dict({"auth_type": "basic", "folder_ids": None},
                                            **settings))

    def contact(self, **values):
        out = empty_contact()
        out.update(values)
        return out

    def test_check_credentials(self):
        self.assertEqual(ews.check_credentials(self.ctx())["mailbox"], "user@example.com")
        with self.assertRaisesRegex(AuthFailed, "user name or password"):
            ews.check_credentials(self.ctx(password="wrong"))
        self.peer.lock_account()
        with self.assertRaisesRegex(AuthFailed, "locked out"):
            ews.check_credentials(self.ctx())

    def test_auth_type_probed_when_not_given(self):
        facts = ews.check_credentials(self.ctx(auth_type=""))
        self.assertEqual(facts["mailbox"], "user@example.com")

    def test_list_folders_offers_only_contact_lists(self):
        sub = self.peer.add_folder("Customers")
        self.peer.add_folder("Deep", parent=sub)
        folders = ews.list_folders(self.ctx())
        self.assertEqual([f["path"] for f in folders],
                         ["Contacts", "Contacts/Customers", "Contacts/Customers/Deep"])
        self.assertEqual(folders[1]["parent_id"], "contacts")

    def test_round_trip_listing_update_conflict_and_tag(self):
        adapter = ews.EwsContactsAdapter(self.ctx())
        values = self.contact(
            given_name="Ann", surname="Lee", display_name="Ann Lee", company_name="Acme",
            job_title="CEO", notes="Line 1\nLine 2", emails=["a@x.com", "b@x.com", "c@x.com"],
            business_phone="+1 1", mobile_phone="+1 2", home_phone="+1 3",
            business_address={"street": "1 Main", "city": "Town", "state": "CA",
                              "postal_code": "9", "country": "United States"},
            categories=["A", "B"])
        remote_id, version, stored = adapter.create(values, "odoo:tag:1")
        self.assertIsNone(stored)
        listing = adapter.list_changes(None)
        self.assertTrue(listing.complete)
        [item] = listing.items
        self.assertEqual(item.values, values)  # what is read back equals what was written
        self.assertEqual((item.local_tag, item.version), ("odoo:tag:1", version))

        token = listing.next_token
        self.assertEqual(adapter.list_changes(token).items, [])
        changed = dict(values, job_title="", emails=["z@x.com"], categories=[])
        new_version, _stored = adapter.update(remote_id, changed, version)
        [item] = adapter.list_changes(token).items
        self.assertEqual(item.values, changed)
        with self.assertRaises(VersionConflict):
            adapter.update(remote_id, values, version)  # stale changekey
        self.assertEqual(self.peer.contact(remote_id)["emails"], {"EmailAddress1": "z@x.com"})
        found = adapter.find_by_tag("odoo:tag:1")
        self.assertEqual((found.remote_id, found.version), (remote_id, new_version))
        self.assertIsNone(adapter.find_by_tag("odoo:tag:2"))

    def test_invalid_state_and_throttling(self):
        self.peer.add_contact(given_name="Ann")
        adapter = ews.EwsContactsAdapter(self.ctx())
        token = adapter.list_changes(None).next_token
        self.peer.expire_sync_states()
        with self.assertRaises(TokenInvalid):
            adapter.list_changes(token)
        self.assertEqual(len(adapter.list_changes(None).items), 1)  # dead state not resent
        self.peer.busy(back_off_ms=1500)
        with self.assertRaises(RateLimited) as caught:
            adapter.list_changes(None)
        self.assertEqual(caught.exception.retry_after, 1.5)

    def test_deleted_folder_makes_a_complete_listing(self):
        sub = self.peer.add_folder("Old")
        self.peer.add_contact(folder=sub, given_name="Gone")
        kept = self.peer.add_contact(given_name="Kept")
        adapter = ews.EwsContactsAdapter(self.ctx())
        token = adapter.list_changes(None).next_token
        self.peer.delete_folder(sub)
        listing = ews.EwsContactsAdapter(self.ctx()).list_changes(token)
        self.assertTrue(listing.complete)
        self.assertEqual([i.remote_id for i in listing.items], [kept])
