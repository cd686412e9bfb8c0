from odoo.tests import TransactionCase, new_test_user
from peers import DominoPeer, DominoRestPeer, PeerCaseMixin


class DominoCase(PeerCaseMixin, TransactionCase):
    """A sales user's Domino account, talking to a DominoPeer over HTTP (DAS).
    DrapiCase below swaps the peer and the account's API: tests written for one run
    unchanged on the other."""

    peer_class = DominoPeer
    account_vals = {"domino_mail_db": "mail/aadmin.nsf"}
    contact_create_path = r"/names.nsf/api/data/documents"  # where a new contact goes

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(cls.peer_class)
        cls.user = new_test_user(cls.env, "dominouser", name="Dora Domino",
                                 email="dora@x.test",
                                 groups="base.group_user,base.group_partner_manager")
        cls.colleague = new_test_user(cls.env, "colleague", name="Carl Colleague",
                                      groups="base.group_user")
        cls.account = cls.env["crm.sync.account"].with_user(cls.user).create({
            "name": "Dora's Notes", "provider": "domino", "endpoint": cls.peer.url,
            "login": "Ann Admin/Acme", "password": "secret", "domino_event_range": "all",
            **cls.account_vals,
        })
        cls.todo_type = cls.account.domino_activity_type_id
        cls.Partner = cls.env["res.partner"].with_user(cls.user)

    def sync(self, account=None):
        account = account or self.account
        return self.env["crm.sync.runner"].with_user(account.user_id)._run_account(account)

    def setup_kinds(self, contacts=False, tasks=False, events=False, **vals):
        self.account.write(dict(vals, sync_contacts=contacts, sync_tasks=tasks,
                                sync_events=events))

    def synced_partners(self):
        return self.env["res.partner"].search(
            [("category_id", "in", self.account.domino_category_id.ids)])

    def make_partner(self, name, email=None, **vals):
        email = email or f"{name.split()[-1].lower()}@x.test"
        return self.Partner.create(dict(vals, name=name, email=email,
                                        category_id=[(4, self.account.domino_category_id.id)]))


class DrapiCase(DominoCase):
    """The same account over the Domino REST API: scopes "contacts" and "mail"."""

    peer_class = DominoRestPeer
    account_vals = {"domino_api": "drapi", "domino_contacts_scope": "contacts",
                    "domino_mail_scope": "mail"}
    contact_create_path = r"/api/v1/document"
