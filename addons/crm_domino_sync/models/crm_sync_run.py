from odoo import _, models


class CrmSyncRun(models.Model):
    _inherit = "crm.sync.run"

    def _domino_kind_rows(self):
        """The dashboard's rows of one run: per kind, what moved each way, as
        "created / updated / deleted"."""
        self.ensure_one()
        labels = {"contacts": _("Contacts"), "tasks": _("To Do"), "events": _("Events")}
        per_kind = self.kind_counts or {}
        if not per_kind:
            per_kind = {"": {f: self[f] for f in (
                "local_created", "local_updated", "local_deleted", "remote_created",
                "remote_updated", "remote_deleted", "conflicts", "failed")}}
        rows = []
        for kind, counts in per_kind.items():
            def side(prefix, c=counts):
                return " / ".join(str(c.get(f"{prefix}_{what}", 0))
                                  for what in ("created", "updated", "deleted"))
            rows.append({"label": labels.get(kind, kind or _("All")),
                         "local": side("local"), "remote": side("remote"),
                         "conflicts": counts.get("conflicts", 0),
                         "failed": counts.get("failed", 0)})
        return rows
