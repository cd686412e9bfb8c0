from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.models.sync_mixin import NO_MARK
from odoo.exceptions import UserError

from ..utils.calendar import normalize_rrule, unkeepable_rrule_parts

SERIES_FIELDS = ("crm_google_rrule", "crm_google_exdates")
TIME_FIELDS = ("start", "stop", "allday", "start_date", "stop_date")


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    crm_google_attendee_emails = fields.Char(
        "Attendee e-mails (Google sync)", compute="_compute_crm_google_attendee_emails",
        inverse="_inverse_crm_google_attendee_emails",
        help="Attendees' e-mails, as Google Calendar knows attendees: a technical field "
             "of the Google sync.")

    crm_google_rrule = fields.Char(
        "Recurrence rule (Google sync)", compute="_compute_crm_google_series",
        search="_search_crm_google_rrule",
        help="The RRULE of the series this event is the first event of (empty on the "
             "other events of a series): a technical field of the Google sync.")
    crm_google_exdates = fields.Char(
        "Deleted occurrences (Google sync)", compute="_compute_crm_google_series",
        help="The original starts of the occurrences deleted from the series, "
             "comma-separated: a technical field of the Google sync.")

    @api.depends("recurrence_id.rrule", "recurrence_id.base_event_id",
                 "recurrence_id.calendar_event_ids.start", "start")
    def _compute_crm_google_series(self):
        for event in self:
            recurrence = event.recurrence_id
            if not recurrence or recurrence.base_event_id != event or not recurrence.rrule:
                event.crm_google_rrule = event.crm_google_exdates = False
                continue
            event.crm_google_rrule = normalize_rrule(recurrence.rrule) or False
            event.crm_google_exdates = ",".join(event._crm_google_missing_occurrences())

    def _crm_google_missing_occurrences(self):
        """The occurrences the rule gives from this (first) event on that the series no
        longer has: deleted in Odoo, they are Google's EXDATEs."""
        self.ensure_one()
        recurrence = self.recurrence_id
        if self.allday:
            have = {e.start.date() for e in recurrence.calendar_event_ids}
            first = self.start.date()
            return [d.isoformat() for d in sorted(
                {o.date() for o in recurrence._get_occurrences(self.start)})
                if d >= first and d not in have]
        have = {e.start for e in recurrence.calendar_event_ids}
        return [o.strftime("%Y-%m-%d %H:%M:%S") for o in sorted(
            set(recurrence._get_occurrences(self.start))) if o >= self.start and o not in have]

    def _search_crm_google_rrule(self, operator, value):
        if operator not in ("!=", "=") or value is not False:
            raise NotImplementedError("only 'is set' / 'is not set' searches")
        # A subquery, not a list of ids: one statement however many series there are.
        bases = self.env["calendar.recurrence"].sudo()._search(
            [("base_event_id", "!=", False), ("rrule", "!=", False)])
        return [("id", "in" if operator == "!=" else "not in",
                 bases.subselect("base_event_id"))]

    @api.model
    def _crm_google_check_rrule(self, rrule):
        bad = unkeepable_rrule_parts(rrule)
        if bad:
            raise UserError(_(
                "Odoo cannot keep this Google recurrence rule (%(rule)s): %(parts)s is not "
                "supported. Change the series in Google to a daily, weekly, monthly or "
                "yearly rule, or leave its meeting type out of the sync.",
                rule=rrule, parts=", ".join(bad)))

    def _crm_google_apply_series(self, rrule, exdates):
        """A series as Google has it, onto this event and its recurrence (sync writes)."""
        self.ensure_one()
        recurrence = self.recurrence_id
        if not recurrence:
            self.write({"recurrency": True, "rrule": rrule, "event_tz": "UTC"})
            recurrence = self.recurrence_id
        elif normalize_rrule(recurrence.rrule) != rrule:
            # A new rule: the occurrences are made again from this first event.
            (recurrence.calendar_event_ids - self).unlink()
            recurrence.write({"rrule": rrule})
            recurrence._apply_recurrence()
        if exdates:
            gone = set(exdates)
            recurrence.calendar_event_ids.filtered(lambda e: e != self and (
                e.start.date().isoformat() if e.allday else
                e.start.strftime("%Y-%m-%d %H:%M:%S")) in gone).unlink()

    def _crm_sync_tracked(self):
        return super()._crm_sync_tracked() | self.env[
            "crm.sync.account"]._google_description_field_names()

    @api.depends("partner_ids.email")
    def _compute_crm_google_attendee_emails(self):
        for event in self:
            event.crm_google_attendee_emails = ",".join(sorted(
                {p.email.strip().lower() for p in event.partner_ids if p.email}))

    def _inverse_crm_google_attendee_emails(self):
        """Attendees map to partners by e-mail; an unknown address becomes a contact."""
        Partner = self.env["res.partner"]
        wanted = {e.strip().lower() for event in self
                  for e in (event.crm_google_attendee_emails or "").split(",") if e.strip()}
        known = {}
        if wanted:
            for partner in Partner.search([("email_normalized", "in", list(wanted))],
                                          order="id"):
                known.setdefault(partner.email_normalized, partner.id)
            missing = sorted(wanted - set(known))
            if missing:
                for partner in Partner.create([{"name": e, "email": e} for e in missing]):
                    known[partner.email_normalized or partner.email.lower()] = partner.id
        for event in self:
            emails = {e.strip().lower() for e in
                      (event.crm_google_attendee_emails or "").split(",") if e.strip()}
            ids = {known[e] for e in emails if e in known}
            if event.user_id.partner_id:
                ids.add(event.user_id.partner_id.id)
            event.partner_ids = [(6, 0, sorted(ids))]

    @api.model_create_multi
    def create(self, vals_list):
        series = []
        for vals in vals_list:
            rrule, exdates = vals.pop("crm_google_rrule", None), vals.pop(
                "crm_google_exdates", None)
            series.append((rrule, exdates))
            if rrule:
                self._crm_google_check_rrule(rrule)
                vals.update(recurrency=True, rrule=rrule, event_tz="UTC")
        events = super().create(vals_list)
        for event, (rrule, exdates) in zip(events, series, strict=False):
            if rrule and exdates:
                event._crm_google_apply_series(rrule, exdates.split(","))
        return events

    def write(self, vals):
        # The sync's own writes mail no attendee: crm_sync_base's runner says so.
        if "crm_google_rrule" not in vals:
            result = super().write(vals)
            if not self.env.context.get(NO_MARK) and self.recurrence_id and (
                    not self._crm_sync_tracked().isdisjoint(vals)
                    or not set(self._get_recurrent_fields()).isdisjoint(vals)):
                # A series syncs as its first event: an edit of any of its events, or
                # of its rule, is a change of that event.
                self._crm_google_mark_series(self.recurrence_id)
            return result
        vals = dict(vals)
        rrule = vals.pop("crm_google_rrule")
        if rrule:
            self._crm_google_check_rrule(rrule)
        exdates = [d for d in (vals.pop("crm_google_exdates", None) or "").split(",") if d]
        for event in self:
            recurrence = event.recurrence_id
            if rrule and recurrence and recurrence.base_event_id == event:
                # What Google says of the master holds for every occurrence; its times
                # only for the first one, the others follow from the rule.
                common = {k: v for k, v in vals.items() if k not in TIME_FIELDS}
                timing = {k: v for k, v in vals.items() if k in TIME_FIELDS}
                moved = any(str(event[k])[:19] != str(v)[:19] for k, v in timing.items()
                            if k in ("start", "stop", "allday"))
                super(CalendarEvent, recurrence.calendar_event_ids).write(common)
                if moved:
                    (recurrence.calendar_event_ids - event).unlink()
                    super(CalendarEvent, event).write(dict(timing, follow_recurrence=True))
                    recurrence._apply_recurrence()
                event._crm_google_apply_series(rrule, exdates)
            else:
                super(CalendarEvent, event).write(vals)
                if rrule:
                    event._crm_google_apply_series(rrule, exdates)
        return True

    def unlink(self):
        recurrences = self.recurrence_id
        bases = {r.id: r.base_event_id.id for r in recurrences}
        result = super().unlink()
        if not self.env.context.get(NO_MARK) and recurrences.exists():
            recurrences = recurrences.exists()
            Binding = self.env["crm.sync.binding"].sudo()
            for recurrence in recurrences:
                old, new = bases.get(recurrence.id), recurrence.base_event_id
                if old and new and old != new.id:
                    # The first event was deleted: the series is still there, bound
                    # through its new first event (not a deletion for Google).
                    Binding.search([("res_model", "=", "calendar.event"),
                                    ("res_id", "=", old), ("tombstone", "=", True)]).write(
                        {"res_id": new.id, "tombstone": False})
            self._crm_google_mark_series(recurrences)
        return result

    def _crm_google_mark_series(self, recurrences):
        bases = recurrences.base_event_id
        if bases:
            self.env["crm.sync.binding"].sudo()._mark("calendar.event", bases.ids)
