from odoo import api, fields, models

REASONS = [
    ("honeypot", "Honeypot filled (bot)"),
    ("invalid", "Invalid or missing fields"),
    ("too_many_fields", "Too many fields"),
    ("captcha_missing", "Captcha not answered"),
    ("captcha_invalid", "Captcha token invalid"),
    ("captcha_expired", "Captcha expired"),
    ("captcha_wrong", "Captcha wrong"),
    ("captcha_used", "Captcha used twice"),
    ("captcha_unavailable", "Captcha service unreachable"),
]


class CrmWebformSubmission(models.Model):
    """One post of a web form: what it created, or why it was refused. Posts refused by
    the rate limit are not written here (a flood must not grow the database); they are
    counted in crm.webform.rate."""

    _name = "crm.webform.submission"
    _description = "Web form submission"
    _order = "id desc"
    _rec_name = "form_id"

    form_id = fields.Many2one("crm.webform", required=True, ondelete="cascade", index=True,
                              readonly=True)
    state = fields.Selection([("accepted", "Accepted"), ("refused", "Refused")],
                             required=True, readonly=True)
    reason = fields.Selection(REASONS, readonly=True)
    details = fields.Char(readonly=True)
    ip = fields.Char("Visitor IP", readonly=True)
    page = fields.Char(readonly=True)
    res_model = fields.Char("Model", readonly=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True)
    record_ref = fields.Reference(
        lambda self: [(m, self.env[m]._description) for m in ("crm.lead", "res.partner")],
        "Record", compute="_compute_record_ref")
    matched_partner = fields.Boolean(
        "Existing contact", readonly=True,
        help="The e-mail or phone matched a contact: it was linked, not duplicated.")
    company_id = fields.Many2one(related="form_id.company_id", store=True)

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for submission in self:
            submission.record_ref = (f"{submission.res_model},{submission.res_id}"
                                     if submission.res_model and submission.res_id else False)
