from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..utils import values as value_utils
from .crm_webform import FORBIDDEN_FIELDS

EMAIL_FIELDS = {"email", "email_from"}
PHONE_FIELDS = {"phone", "mobile"}
MAX_CHOICES = 300


class CrmWebform(models.Model):
    _inherit = "crm.webform"

    allowed_field_ids = fields.Many2many(
        "ir.model.fields", compute="_compute_allowed_field_ids",
        help="The fields of the target model that make sense on a public form.")

    @api.depends("model_name")
    def _compute_allowed_field_ids(self):
        for form in self:
            names = form._public_field_names()
            form.allowed_field_ids = self.env["ir.model.fields"].sudo().search(
                [("model", "=", form.model_name), ("name", "in", names)]) if names else False

    def _public_field_names(self):
        if not self.model_name:
            return []
        model = self.env[self.model_name]
        forbidden = FORBIDDEN_FIELDS.get(self.model_name, set())
        return [name for name, field in model._fields.items()
                if _is_public(field) and name not in forbidden
                and name not in models.MAGIC_COLUMNS
                and not name.startswith(("message_", "activity_", "website_", "x_studio"))]


def _is_public(field):
    """Writable, stored, of a public type, not restricted to a group, not a related
    field (which would write through to another record)."""
    if field.type not in value_utils.PUBLIC_TYPES or not field.store or field.groups:
        return False
    if field.related or field.readonly:
        return False
    return field.type != "many2one" or field.comodel_name in value_utils.PUBLIC_COMODELS


class CrmWebformField(models.Model):
    _name = "crm.webform.field"
    _description = "Web form field"
    _order = "sequence, id"

    form_id = fields.Many2one("crm.webform", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    field_id = fields.Many2one(
        "ir.model.fields", "Field", required=True, ondelete="cascade",
        domain="[('id', 'in', parent.allowed_field_ids)]")
    field_name = fields.Char(related="field_id.name", store=True)
    field_type = fields.Selection(related="field_id.ttype")
    label = fields.Char(compute="_compute_label", store=True, readonly=False, required=True,
                        precompute=True)
    required = fields.Boolean()
    override_value = fields.Char(
        help="A fixed value the form sets (the visitor neither sees nor changes it). For "
             "a choice, the technical value; for a relation, the record's id or exact "
             "name; for yes/no, 1 or 0.")
    is_override = fields.Boolean(compute="_compute_is_override")

    _sql_constraints = [
        ("form_field_unique", "unique(form_id, field_id)",
         "A field appears once on a form."),
    ]

    @api.depends("field_id")
    def _compute_label(self):
        for line in self:
            line.label = line.label or line.field_id.field_description

    @api.depends("override_value")
    def _compute_is_override(self):
        for line in self:
            line.is_override = bool(line.override_value)

    @api.constrains("field_id", "form_id")
    def _check_field_allowed(self):
        for line in self:
            if line.field_id.name not in line.form_id._public_field_names() or \
                    line.field_id.model != line.form_id.model_name:
                raise ValidationError(_(
                    "The field %(field)s cannot be on web form %(form)s: choose a field "
                    "of %(model)s that a visitor may fill (text, number, date, choice).",
                    field=line.field_id.field_description, form=line.form_id.name,
                    model=line.form_id.model_name))

    @api.constrains("override_value", "required")
    def _check_override(self):
        for line in self.filtered("override_value"):
            try:
                line._override_typed()
            except value_utils.FieldError as exc:
                raise ValidationError(_(
                    "The override value %(value)s of %(field)s is not valid: %(reason)s",
                    value=line.override_value, field=line.label, reason=str(exc))) from exc

    def _field(self):
        return self.env[self.form_id.model_name]._fields[self.field_name]

    def _spec(self, choices=True):
        """This field as plain data for utils (coercion and the HTML). Without choices,
        a relation accepts any id (the caller checks it exists): no listing per post."""
        field = self._field()
        spec = {"name": self.field_name, "label": self.label, "type": field.type,
                "required": self.required, "size": getattr(field, "size", None),
                "kind": "email" if self.field_name in EMAIL_FIELDS
                else "phone" if self.field_name in PHONE_FIELDS else None}
        if field.type == "selection":
            choices = field._description_selection(self.env)
            spec["selection"] = [value for value, _label in choices]
            spec["choices"] = choices
        elif field.type == "many2one" and choices:
            records = self.env[field.comodel_name].sudo().search([], limit=MAX_CHOICES)
            spec["options"] = {r.id: r.display_name for r in records}
            spec["choices"] = [(r.id, r.display_name) for r in records]
        return spec

    def _override_typed(self):
        spec = self._spec()
        raw = self.override_value
        if spec["type"] == "many2one" and raw and not raw.strip().isdigit():
            comodel = self._field().comodel_name
            match = self.env[comodel].sudo().search([("name", "=", raw.strip())], limit=1)
            raw = str(match.id) if match else raw
            spec["options"] = {match.id: match.display_name} if match else {}
        elif spec["type"] == "many2one" and raw:
            spec["options"] = {int(raw): raw} if self.env[
                self._field().comodel_name].sudo().browse(int(raw)).exists() else {}
        value = value_utils.coerce(spec, raw)
        if value is None:
            raise value_utils.FieldError("missing", "empty")
        return value
