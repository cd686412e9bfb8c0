from odoo import api, models

from ..engine import registry

NO_MARK = "crm_sync_no_mark"  # context key: the sync's own writes must not echo back


class CrmSyncMixin(models.AbstractModel):
    """Notices local changes of synced records; never calls a remote side itself.

    write() marks the bindings dirty when a field some provider maps changed; unlink()
    turns them into tombstones, kept until the remote side confirms the deletion. The
    sync passes ``crm_sync_no_mark`` in the context while it writes."""

    _name = "crm.sync.mixin"
    _description = "CRM sync: change tracking"

    def _crm_sync_tracked(self) -> frozenset:
        return registry.tracked_fields_of(self._name)

    def write(self, vals):
        result = super().write(vals)
        if (self.ids and not self.env.context.get(NO_MARK)
                and not self._crm_sync_tracked().isdisjoint(vals)):
            self.env["crm.sync.binding"].sudo()._mark(self._name, self.ids)
        return result

    def unlink(self):
        ids = self.ids
        result = super().unlink()
        if ids and not self.env.context.get(NO_MARK):
            self.env["crm.sync.binding"].sudo()._mark(self._name, ids, tombstone=True)
        return result

    @api.model
    def _crm_sync_in_scope(self, domain, ids):
        """The ids of `ids` that match `domain` (as the running user)."""
        return set(self.with_context(active_test=False).search(
            [("id", "in", list(ids))] + list(domain)).ids)


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.sync.mixin"]


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["calendar.event", "crm.sync.mixin"]


class MailActivity(models.Model):
    _name = "mail.activity"
    _inherit = ["mail.activity", "crm.sync.mixin"]
