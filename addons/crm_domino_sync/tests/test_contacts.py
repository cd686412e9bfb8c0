"""Contacts with a DominoPeer over HTTP: both directions, incremental, conflicts,
private items and the bad paths."""

import time

from .common import DominoCase


class TestDominoContacts(DominoCase):
    def setUp(self):
        super().setUp()
        self.setup_kinds(contacts=True)

    def test_first_sync_both_ways_and_private_stays_out(self):
        self.peer.add_contact(FirstName="Rita", LastName="Remote", MailAddress="rita@x.test",
                              OfficePhoneNumber="+1 555", JobTitle="CFO")
        self.peer.add_contact(FirstName="Secret", LastName="Sam", OrgConfidential="1")
        lea = self.make_partner("Lea Local", phone="+7 900", comment="<p>Met at fair</p>")
        self.Partner.create({"name": "Not tagged"})

        run = self.sync()

        self.assertEqual(run.state, "done", run.message)
        self.assertEqual((run.local_created, run.remote_created), (1, 1))
        self.assertEqual(sorted(self.synced_partners().mapped("name")),
                         ["Lea Local", "Rita Remote"])
        rita = self.synced_partners().filtered(lambda p: p.name == "Rita Remote")
        self.assertEqual((rita.email, rita.phone, rita.function),
                         ("rita@x.test", "+1 555", "CFO"))
        docs = {d["FirstName"]: d for d in self.peer.contacts()}
        self.assertEqual(sorted(docs), ["Lea", "Rita", "Secret"])
        self.assertEqual((docs["Lea"]["LastName"], docs["Lea"]["MailAddress"],
                          docs["Lea"]["Comment"], docs["Lea"]["@form"]),
                         ("Local", "local@x.test", "Met at fair", "Person"))
        self.assertTrue(docs["Lea"]["OdooSyncTag"].endswith(f":res.partner:{lea.id}"))
        self.assertEqual(run.kind_counts, {"contacts": {"local_created": 1,
                                                        "remote_created": 1}})

    def test_second_sync_is_incremental_and_moves_nothing(self):
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.make_partner("Lea Local")
        self.sync()
        # DAS's "since" has a one-second resolution and the listing time is taken with
        # a second of margin: past that, unchanged documents are not fetched again.
        time.sleep(2.1)
        self.sync()  # fetches the document it created (new in the view) once
        gets_before = len(self.peer.requests_to("GET", r".*/documents/unid/.*"))

        run = self.sync()

        self.assertEqual([run[f] for f in ("local_created", "local_updated", "remote_created",
                                           "remote_updated")], [0, 0, 0, 0])
        self.assertEqual(len(self.peer.requests_to("GET", r".*/documents/unid/.*")),
                         gets_before, "unchanged documents must not be fetched again")
        self.assertFalse(self.peer.requests_to("PATCH"))
        since = self.peer.requests_to("GET", r"/names.nsf/api/data/documents")
        self.assertTrue(since and since[-1].query.get("since"))

    def test_edits_both_ways_with_if_unmodified_since(self):
        rita = self.peer.add_contact(FirstName="Rita", LastName="Remote")
        lea = self.make_partner("Lea Local")
        self.sync()
        self.peer.edit_document("names.nsf", rita["@unid"], {"JobTitle": "CEO"})
        lea.phone = "+49 30 1234"

        run = self.sync()

        self.assertEqual((run.local_updated, run.remote_updated), (1, 1), run.message)
        partner = self.synced_partners().filtered(lambda p: p.name == "Rita Remote")
        self.assertEqual(partner.function, "CEO")
        patch = self.peer.requests_to("PATCH")[-1]
        self.assertTrue(patch.headers.get("If-Unmodified-Since"))
        doc = next(d for d in self.peer.contacts() if d["FirstName"] == "Lea")
        self.assertEqual(doc["OfficePhoneNumber"], "+49 30 1234")
        self.assertEqual(doc["OdooSyncTag"][:5], "odoo:", "PATCH keeps the other items")

    def test_conflict_odoo_wins(self):
        rita = self.peer.add_contact(FirstName="Rita", LastName="Remote", JobTitle="A")
        self.sync()
        partner = self.synced_partners()
        self.account.conflict_policy = "local"
        self.peer.edit_document("names.nsf", rita["@unid"], {"JobTitle": "From Notes"})
        partner.function = "From Odoo"

        run = self.sync()

        self.assertEqual(run.conflicts, 1)
        self.assertEqual(self.peer.contacts()[0]["JobTitle"], "From Odoo")
        self.assertEqual(partner.function, "From Odoo")
        line = run.line_ids.filtered(lambda li: li.level == "conflict")
        self.assertEqual(line.discarded["function"], "From Notes")

    def test_conflict_domino_wins(self):
        rita = self.peer.add_contact(FirstName="Rita", LastName="Remote", JobTitle="A")
        self.sync()
        partner = self.synced_partners()
        self.assertEqual(self.account.conflict_policy, "remote", "Domino's default")
        self.peer.edit_document("names.nsf", rita["@unid"], {"JobTitle": "From Notes"})
        partner.function = "From Odoo"

        run = self.sync()

        self.assertEqual(run.conflicts, 1)
        self.assertEqual(partner.function, "From Notes")
        self.assertEqual(self.peer.contacts()[0]["JobTitle"], "From Notes")

    def test_import_only_never_writes_to_domino(self):
        self.account.direction = "import"
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.make_partner("Lea Local")

        run = self.sync()

        self.assertEqual((run.local_created, run.remote_created), (1, 0))
        self.assertEqual(len(self.peer.contacts()), 1)
        self.assertFalse(self.peer.requests_to("POST") or self.peer.requests_to("PATCH"))

    def test_export_only_never_writes_to_odoo(self):
        self.account.direction = "export"
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.make_partner("Lea Local")

        run = self.sync()

        self.assertEqual((run.local_created, run.remote_created), (0, 1))
        self.assertEqual(self.synced_partners().mapped("name"), ["Lea Local"])

    def test_remote_deletion_and_item_turned_private(self):
        gone = self.peer.add_contact(FirstName="Gone", LastName="Soon")
        hidden = self.peer.add_contact(FirstName="Hidden", LastName="Later")
        self.peer.add_contact(FirstName="Stays", LastName="Here")
        self.sync()
        self.assertEqual(len(self.synced_partners()), 3)
        self.peer.delete_document("names.nsf", gone["@unid"])
        self.peer.edit_document("names.nsf", hidden["@unid"], {"OrgConfidential": "1"})

        run = self.sync()

        self.assertEqual(run.local_deleted, 2, run.message)
        self.assertEqual(self.synced_partners().mapped("name"), ["Stays Here"])
        hidden_doc = next(d for d in self.peer.contacts() if d["FirstName"] == "Hidden")
        self.assertEqual(hidden_doc["OrgConfidential"], "1", "the private item is untouched")

    def test_exported_then_deleted_in_domino_before_the_next_run(self):
        self.make_partner("Lea Local")
        self.make_partner("Kim Kept")
        self.sync()
        lea = next(d for d in self.peer.contacts() if d["FirstName"] == "Lea")
        self.peer.delete_document("names.nsf", lea["@unid"])

        run = self.sync()

        self.assertEqual(run.local_deleted, 1, run.message)
        self.assertEqual(self.synced_partners().mapped("name"), ["Kim Kept"])

    def test_local_deletion_deletes_in_domino(self):
        lea = self.make_partner("Lea Local")
        self.sync()
        lea.unlink()
        run = self.sync()
        self.assertEqual(run.remote_deleted, 1)
        self.assertEqual(self.peer.contacts(), [])

    def test_412_fails_the_item_alone_and_the_next_run_reconciles(self):
        rita = self.peer.add_contact(FirstName="Rita", LastName="Remote")
        lea = self.make_partner("Lea Local")
        self.sync()
        lea.phone = "+1 111"
        self.peer.inject("PATCH", r".*", status=412, json={
            "code": 412, "text": "Precondition Failed", "message": "modified since"})

        run = self.sync()

        self.assertEqual((run.state, run.failed), ("partial", 1))
        self.assertIn("Changed remotely", run.line_ids.reason)
        self.assertTrue(rita)
        run = self.sync()
        self.assertEqual((run.state, run.remote_updated), ("done", 1))
        doc = next(d for d in self.peer.contacts() if d["FirstName"] == "Lea")
        self.assertEqual(doc["OfficePhoneNumber"], "+1 111")

    def test_refused_item_fails_alone(self):
        self.make_partner("Bad Mail", email="not-an-address")
        self.make_partner("Good Mail")
        run = self.sync()
        self.assertEqual((run.state, run.remote_created, run.failed), ("partial", 1, 1))
        self.assertIn("Invalid e-mail address", run.line_ids.reason)

    def test_lost_create_answer_is_adopted_not_duplicated(self):
        self.make_partner("Lea Local")
        self.peer.inject("POST", self.contact_create_path, lose_response=True)
        run = self.sync()
        self.assertEqual(run.failed, 1)
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(len(self.peer.contacts()), 1)
        binding = self.env["crm.sync.binding"].search([("account_id", "=", self.account.id)])
        self.assertEqual(binding.remote_id, self.peer.contacts()[0]["@unid"])

    def test_wrong_password_stops_the_run_with_what_to_do(self):
        self.peer.password = "changed"
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("refused the credentials", run.message)
        self.assertEqual(self.account.state, "error")

    def test_many_contacts_page_through_the_view(self):
        for n in range(130):
            self.peer.add_contact(FirstName=f"P{n:03d}", LastName="Bulk")
        run = self.sync()
        self.assertEqual(run.local_created, 130, run.message)
        pages = self.peer.requests_to("GET", r"/names.nsf/api/data/collections/name/People")
        self.assertEqual([p.query["count"] for p in pages], [["100"], ["100"]])
