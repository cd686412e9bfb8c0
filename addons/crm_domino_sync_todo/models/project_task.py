from odoo import models

from ..mapper import TODO_TASK_MAPPER


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["project.task", "crm.sync.mixin"]

    def _crm_sync_tracked(self):
        # The To-Do mapper is swapped in per account, not registered with a provider,
        # so the registry does not know its fields: name them here.
        return super()._crm_sync_tracked() | frozenset(TODO_TASK_MAPPER.fields)
