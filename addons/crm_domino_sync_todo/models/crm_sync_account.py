from odoo import _, fields, models
from odoo.exceptions import UserError

from ..mapper import TODO_TASK_MAPPER


class CrmSyncAccount(models.Model):
    _inherit = "crm.sync.account"

    domino_tasks_as = fields.Selection(
        [("activity", "Activities"), ("todo", "To-Do tasks")], "To Do as",
        default="activity", required=True,
        help="Activities of a chosen type, or personal To-Do tasks (the To-Do app). "
             "Choose before the first sync: the choice is fixed once To Do items are "
             "synced.")

    def write(self, vals):
        if "domino_tasks_as" in vals:
            changed = self.filtered(lambda a: a.domino_tasks_as != vals["domino_tasks_as"])
            synced = self.env["crm.sync.binding"].sudo().search_count(
                [("account_id", "in", changed.ids), ("kind", "=", "tasks")], limit=1)
            if synced:
                # The items already synced are bound to the other kind of record:
                # switching would bring each of them in a second time.
                raise UserError(_(
                    "To Do items are already synced as %(current)s on this account. "
                    "Switching would import each of them again. Keep the choice, or "
                    "create another account for the other one.",
                    current=dict(self._fields["domino_tasks_as"]._description_selection(
                        self.env))[changed[:1].domino_tasks_as]))
        return super().write(vals)

    def _domino_tasks_mapper(self):
        if self.domino_tasks_as == "todo":
            return TODO_TASK_MAPPER
        return super()._domino_tasks_mapper()
