import logging

from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.engine.adapter import SyncError
from odoo.addons.crm_sync_base.engine.hashing import content_hash
from odoo.addons.crm_sync_base.models.sync_mixin import NO_MARK
from odoo.exceptions import UserError
from odoo.tools import email_normalize, email_split

_logger = logging.getLogger(__name__)


class CrmDominoMeeting(models.TransientModel):
    """Schedule meeting (seed 003 "Programar eventos"): one meeting, created in Odoo and
    in Domino, where creating a meeting with attendees sends the invitations."""

    _name = "crm.domino.meeting"
    _description = "Schedule a meeting in Domino"

    account_id = fields.Many2one(
        "crm.sync.account", "Domino account", required=True, ondelete="cascade",
        domain="[('provider', '=', 'domino'), ('user_id', '=', uid)]")
    name = fields.Char("Subject", required=True)
    partner_ids = fields.Many2many("res.partner", string="Participants")
    extra_emails = fields.Char(
        "Other participants", help="E-mail addresses of people who are not contacts, "
                                   "separated by commas.")
    location = fields.Char()
    start = fields.Datetime(required=True, default=lambda self: fields.Datetime.add(
        fields.Datetime.now().replace(minute=0, second=0, microsecond=0), hours=1))
    stop = fields.Datetime("End", required=True, default=lambda self: fields.Datetime.add(
        fields.Datetime.now().replace(minute=0, second=0, microsecond=0), hours=2))
    alarm_ids = fields.Many2many("calendar.alarm", string="Reminder")

    @api.onchange("start")
    def _onchange_start(self):
        if self.start and (not self.stop or self.stop <= self.start):
            self.stop = fields.Datetime.add(self.start, hours=1)

    def _attendee_partners(self):
        """The chosen contacts and a contact per free e-mail (found, else created),
        after checking that Domino can invite every one of them."""
        no_email = self.partner_ids.filtered(lambda p: not email_normalize(p.email or ""))
        if no_email:
            raise UserError(_("Domino sends invitations by e-mail, and these participants "
                              "have no valid e-mail address: %(names)s.",
                              names=", ".join(no_email.mapped("display_name"))))
        typed = [e.strip() for e in (self.extra_emails or "").replace(";", ",").split(",")
                 if e.strip()]
        bad = [e for e in typed if not email_normalize(e) or len(email_split(e)) != 1]
        if bad:
            raise UserError(_("These are not e-mail addresses: %(bad)s. Separate several "
                              "addresses with commas.", bad=", ".join(bad)))
        partners = self.partner_ids
        Partner = self.env["res.partner"]
        for email in typed:
            partners |= Partner.find_or_create(email)
        return partners

    def action_schedule(self):
        self.ensure_one()
        account = self.account_id
        account.check_access("write")
        account._sync_check_owner()
        account._domino_check_settings()
        if self.stop <= self.start:
            raise UserError(_("The meeting must end after it starts."))
        partners = self._attendee_partners()
        try:
            # One savepoint for both sides: a refusal by Domino leaves no Odoo event,
            # even for a caller that catches the error.
            with self.env.cr.savepoint():
                event = self._create_both(account, partners)
        except SyncError as exc:
            _logger.info("Domino account %s: scheduling a meeting failed: %s",
                         account.id, exc)
            raise UserError(account._sync_error_message(exc)) from None
        return {"type": "ir.actions.act_window", "res_model": "calendar.event",
                "res_id": event.id, "view_mode": "form", "views": [(False, "form")],
                "target": "current"}

    def _create_both(self, account, partners):
        """The Odoo event, then the Domino meeting (which sends the invitations), then
        the binding that makes the next sync know them as one."""
        Event = self.env["calendar.event"].with_context(
            **{NO_MARK: True}, no_mail_to_attendees=True)  # Domino sends the invitations
        event = Event.create({
            "name": self.name, "location": self.location or False, "start": self.start,
            "stop": self.stop, "user_id": self.env.user.id,
            "partner_ids": [(6, 0, (partners | self.env.user.partner_id).ids)],
            "alarm_ids": [(6, 0, self.alarm_ids.ids)],
        })
        provider = account._sync_provider()
        mapper = provider.mappers["events"]
        values = mapper.to_canonical(event.read(list(mapper.fields))[0])
        if self.alarm_ids:
            values["alarm_minutes"] = min(self.alarm_ids.mapped("duration_minutes"))
        attendees = [{"email": email_normalize(p.email), "displayName": p.name}
                     for p in partners]
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        tag = f"odoo:{uuid[:12]}:{account.id}:calendar.event:{event.id}"
        adapter = account._sync_adapter("events")
        remote_id, version, stored = adapter.create(values, tag, attendees=attendees)
        values.pop("alarm_minutes", None)
        digest = content_hash(stored if stored is not None else values, mapper.volatile)
        self.env["crm.sync.binding"].sudo().create({
            "account_id": account.id, "kind": "events", "res_model": "calendar.event",
            "res_id": event.id, "remote_id": remote_id, "remote_version": version,
            "local_hash": content_hash(values, mapper.volatile), "remote_hash": digest,
            "local_tag": tag, "last_sync_at": fields.Datetime.now(),
        })
        return event
