"""Two workers on one account, each with its own database connection and real commits,
as two cron processes on two hosts would be."""

import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase
from peers import ContactsPeer, PeerCaseMixin


class TestTwoWorkers(PeerCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(ContactsPeer)

    def _committed_account(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            category = env["res.partner.category"].create({"name": "Two workers"})
            account = env["crm.sync.account"].create({
                "name": "Two workers", "provider": "test", "endpoint": self.peer.url,
                "test_category_id": category.id, "user_id": env.ref("base.user_admin").id,
            })
            account._sync_store_credentials({"access_token": "at-1"})
            ids = account.id, category.id
        self.addCleanup(self._cleanup, *ids)
        return ids

    def _cleanup(self, account_id, category_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].search([("category_id", "in", [category_id])]).with_context(
                crm_sync_no_mark=True).unlink()
            env["crm.sync.account"].browse(account_id).unlink()
            env["res.partner.category"].browse(category_id).unlink()

    def _worker(self, account_id, results, start):
        start.wait()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = env["crm.sync.runner"]._run_account(
                env["crm.sync.account"].browse(account_id), trigger="cron")
            results.append(run.id if run else None)

    def test_two_workers_never_sync_one_account(self):
        account_id, category_id = self._committed_account()
        for name in ("Ann", "Bob", "Cid"):
            self.peer.add_contact({"name": name, "email": f"{name.lower()}@x.test"})
        # The first listing is slow, so the second worker arrives while the first
        # holds the account.
        self.peer.inject("GET", "/contacts", delay=3)
        results, start = [], threading.Barrier(2)
        workers = [threading.Thread(target=self._worker, args=(account_id, results, start))
                   for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)

        self.assertEqual(sorted(results, key=bool), [None, results[0] or results[1]])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partners = env["res.partner"].search([("category_id", "in", [category_id])])
            self.assertEqual(sorted(partners.mapped("name")), ["Ann", "Bob", "Cid"])
            self.assertEqual(env["crm.sync.binding"].search_count(
                [("account_id", "=", account_id)]), 3)
            # The lock went with the run: the next run gets the account.
            run = env["crm.sync.runner"]._run_account(
                env["crm.sync.account"].browse(account_id), trigger="cron")
            self.assertEqual(run.state, "done")
