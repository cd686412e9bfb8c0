"""A person connects Domino in the browser, syncs, reads the dashboard, schedules a
meeting."""

from odoo.tests import HttpCase, new_test_user, tagged
from peers import DominoPeer, PeerCaseMixin


@tagged("post_install", "-at_install")
class TestDominoTour(PeerCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(DominoPeer)
        new_test_user(cls.env, "domino_tour", email="tour@x.test",
                      groups="base.group_user,base.group_partner_manager")

    def test_connect_sync_dashboard_meeting(self):
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.env["ir.default"].set("crm.sync.account", "endpoint", self.peer.url)

        self.start_tour("/odoo/crm-sync-accounts", "crm_domino_sync_tour",
                        login="domino_tour")

        account = self.env["crm.sync.account"].search([("name", "=", "Tour Notes")])
        self.assertEqual((account.provider, account.conflict_policy), ("domino", "remote"))
        self.assertTrue(account.sync_events and account.sync_tasks)
        self.assertEqual(account.run_ids.state, "done")
        self.assertEqual(account.run_ids.local_created, 1)
        self.assertEqual([e["summary"] for e in self.peer.events()], ["Tour meeting"])
        self.assertEqual([n["to"] for n in self.peer.notices], ["bob@y.test"])
