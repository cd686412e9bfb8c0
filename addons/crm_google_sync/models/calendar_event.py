from odoo import api, fields, models
from odoo.addons.crm_sync_base.models.sync_mixin import NO_MARK


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    crm_google_attendee_emails = fields.Char(
        "Attendee e-mails (Google sync)", compute="_compute_crm_google_attendee_emails",
        inverse="_inverse_crm_google_attendee_emails",
        help="Attendees' e-mails, as Google Calendar knows attendees: a technical field "
             "of the Google sync.")

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
        if self.env.context.get(NO_MARK):
            # The sync's own writes: no invitation storm on a first import (the remote
            # calendar already notified the attendees).
            self = self.with_context(dont_notify=True, no_mail_to_attendees=True)
        return super().create(vals_list)

    def write(self, vals):
        if self.env.context.get(NO_MARK):
            self = self.with_context(dont_notify=True, no_mail_to_attendees=True)
        return super().write(vals)
