"""To Do items as personal To-Do tasks, with the DAS and the DRAPI peers."""

from datetime import datetime

from odoo.addons.crm_domino_sync.tests.common import DominoCase, DrapiCase
from odoo.exceptions import UserError

from ..hooks import uninstall_hook


class TodoMixin:
    def setUp(self):
        super().setUp()
        self.setup_kinds(tasks=True, domino_tasks_as="todo")
        self.Task = self.env["project.task"].with_user(self.user)

    def todos(self):
        return self.env["project.task"].with_context(active_test=False).search(
            [("project_id", "=", False)])

    def make_todo(self, name, user=None, **vals):
        user = user or self.user
        return self.env["project.task"].with_user(user).create(
            dict(vals, name=name, user_ids=[(6, 0, [user.id])]))


class TestTodoTasks(TodoMixin, DominoCase):
    def test_to_dos_both_ways_private_never(self):
        self.peer.add_task(Subject="Call Rita", Body="About the offer",
                           DueDateTime="2030-05-02T00:00:00Z")
        self.peer.add_task(Subject="Private errand", OrgConfidential="1")
        self.make_todo("Send quote", date_deadline="2030-06-01 00:00:00")
        self.make_todo("Colleague's", user=self.colleague)
        project = self.env["project.project"].create({"name": "Roll-out"})
        self.env["project.task"].create({"name": "Project work", "project_id": project.id,
                                         "user_ids": [(6, 0, [self.user.id])]})

        run = self.sync()

        self.assertEqual((run.state, run.local_created, run.remote_created), ("done", 1, 1),
                         run.message)
        imported = self.todos().filtered(lambda t: t.name == "Call Rita")
        self.assertEqual((imported.user_ids, imported.project_id.id, imported.state),
                         (self.user, False, "01_in_progress"))
        self.assertEqual(imported.date_deadline, datetime(2030, 5, 2))
        self.assertIn("About the offer", imported.description)
        self.assertFalse(self.todos().filtered(lambda t: t.name == "Private errand"))
        self.assertFalse(self.env["mail.activity"].search([("summary", "=", "Call Rita")]),
                         "no activity: the account syncs To-Do tasks")
        tasks = {t["Subject"]: t for t in self.peer.tasks()}
        self.assertEqual(sorted(tasks), ["Call Rita", "Private errand", "Send quote"])
        self.assertEqual((tasks["Send quote"]["@form"], tasks["Send quote"]["DueDateTime"]),
                         ("Task", "2030-06-01T00:00:00Z"))

    def test_done_both_ways(self):
        task = self.peer.add_task(Subject="Call Rita")
        mine = self.make_todo("Send quote")
        self.sync()
        self.peer.edit_document("mail/aadmin.nsf", task["@unid"],
                                {"CompletedDateTime": "2030-05-01T09:00:00Z"})
        mine.state = "1_done"

        run = self.sync()

        self.assertEqual((run.local_updated, run.remote_updated), (1, 1), run.message)
        self.assertEqual(self.todos().filtered(lambda t: t.name == "Call Rita").state,
                         "1_done")
        sent = next(t for t in self.peer.tasks() if t["Subject"] == "Send quote")
        self.assertTrue(sent["CompletedDateTime"])

    def test_deletions_both_ways(self):
        gone = self.peer.add_task(Subject="Gone in Notes")
        mine = self.make_todo("Gone in Odoo")
        self.sync()
        self.peer.delete_document("mail/aadmin.nsf", gone["@unid"])
        mine.unlink()

        run = self.sync()

        self.assertEqual((run.local_deleted, run.remote_deleted), (1, 1), run.message)
        self.assertFalse(self.todos())
        self.assertEqual(self.peer.tasks(), [])

    def test_choice_is_fixed_once_synced(self):
        self.peer.add_task(Subject="Call Rita")
        self.sync()
        with self.assertRaises(UserError) as caught:
            self.account.domino_tasks_as = "activity"
        self.assertIn("already synced as To-Do tasks", caught.exception.args[0])
        self.assertEqual(self.account.domino_tasks_as, "todo")

    def test_a_member_s_to_dos_stay_theirs(self):
        # To-Dos are private to their user: the account syncs its owner's only.
        self.account.domino_member_ids = [(4, self.colleague.id)]
        self.make_todo("Colleague's", user=self.colleague)
        run = self.sync()
        self.assertEqual((run.state, run.remote_created), ("done", 0), run.message)
        self.assertEqual(self.peer.tasks(), [])

    def test_uninstall_stops_to_do_sync_without_duplicates(self):
        self.peer.add_task(Subject="Call Rita")
        self.setup_kinds(tasks=True, contacts=True)
        self.sync()
        uninstall_hook(self.env)
        self.assertFalse(self.account.sync_tasks)
        self.assertTrue(self.account.sync_contacts)
        self.assertNotIn("tasks", self.account.sudo().sync_tokens or {})
        self.assertFalse(self.env["crm.sync.binding"].search(
            [("res_model", "=", "project.task")]))
        self.assertEqual(self.todos().name, "Call Rita", "the To-Do stays")

    def test_activities_stay_the_default(self):
        account = self.env["crm.sync.account"].with_user(self.user).create({
            "name": "Other", "provider": "domino", "endpoint": self.peer.url})
        self.assertEqual(account.domino_tasks_as, "activity")
        self.assertEqual(account._sync_provider().mappers["tasks"].model, "mail.activity")


class TestTodoTasksOverDrapi(TodoMixin, DrapiCase):
    test_to_dos_both_ways_private_never = TestTodoTasks.test_to_dos_both_ways_private_never
    test_done_both_ways = TestTodoTasks.test_done_both_ways
