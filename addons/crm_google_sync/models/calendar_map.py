from odoo import fields, models


class CrmGoogleCalendarMap(models.Model):
    """One Odoo meeting type synced with one Google calendar of an account (seed 002)."""

    _name = "crm.google.calendar.map"
    _description = "Google sync: meeting type to Google calendar"
    _order = "account_id, id"

    account_id = fields.Many2one("crm.sync.account", required=True, ondelete="cascade",
                                 index=True)
    event_type_id = fields.Many2one("calendar.event.type", "Meeting type", required=True,
                                    ondelete="cascade")
    calendar_name = fields.Char(
        "Google calendar", required=True,
        help="Found by this name in the Google account, created by the first sync when "
             "missing. Events created in it come to Odoo with the meeting type.")

    _sql_constraints = [
        ("type_unique", "unique(account_id, event_type_id)",
         "A meeting type is synced with one Google calendar per account."),
        ("calendar_unique", "unique(account_id, calendar_name)",
         "A Google calendar takes one meeting type per account, so that events created in "
         "it come back with that type."),
    ]
