"""To Do items of Notes <-> Odoo's personal To-Do tasks (project_todo: project.task
records without a project, assigned to their owner)."""

from datetime import date, datetime

from odoo.addons.crm_sync_base.engine.mapper import RecordMapper
from odoo.tools import html2plaintext, plaintext2html

DONE = "1_done"
OPEN = "01_in_progress"


class DominoTodoTaskMapper(RecordMapper):
    kind = "tasks"
    model = "project.task"
    fields = ("name", "description", "date_deadline", "state", "user_ids", "project_id")

    def to_canonical(self, values):
        deadline = values.get("date_deadline")
        if isinstance(deadline, datetime):
            deadline = deadline.date()
        return {"name": values.get("name") or "",
                "note": html2plaintext(values.get("description") or "").strip()
                if values.get("description") else "",
                "due": deadline.isoformat() if isinstance(deadline, date) else "",
                "done": values.get("state") == DONE}

    def to_odoo(self, canonical):
        # A To-Do needs no deadline (unlike an activity): none stays none. The due
        # day is kept at midnight UTC, so it reads back as the same day.
        due = canonical.get("due")
        return {"name": canonical.get("name") or False,
                "description": plaintext2html(canonical["note"]) if canonical.get("note")
                else False,
                "date_deadline": f"{due} 00:00:00" if due else False,
                "state": DONE if canonical.get("done") else OPEN}

    def scope_domain(self, settings):
        # The owner's personal To-Dos only: tasks of a project belong to the
        # project's workflow, and other users' To-Dos are private to them (To-Do's
        # record rules), so each user syncs theirs through their own account.
        return [("project_id", "=", False), ("parent_id", "=", False),
                ("user_ids", "in", [settings.get("user_id")])]

    def scope_values(self, settings):
        return {"project_id": False, "user_ids": [(6, 0, [settings.get("user_id")])]}


TODO_TASK_MAPPER = DominoTodoTaskMapper()
