from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..utils.errors import SocialError
from ..utils.profiles import parse_profile_url

URL_FIELDS = {"vk": "social_vk_url", "facebook": "social_facebook_url", "x": "social_x_url"}
ID_FIELDS = {"vk": "social_vk_id", "facebook": "social_facebook_id", "x": "social_x_handle"}


class CrmSocialProfileMixin(models.AbstractModel):
    """Profile URLs on VK, Facebook and X, and what a person does with them: write a
    message, import the profile, fetch the VK conversation. The concrete model says
    which field of crm.social.message points at it (``_social_message_link``)."""

    _name = "crm.social.profile.mixin"
    _description = "Social network profiles"
    _social_message_link = None

    social_vk_url = fields.Char("VK URL", tracking=True)
    social_facebook_url = fields.Char("Facebook URL", tracking=True)
    social_x_url = fields.Char("X URL", tracking=True)
    # Ids the network gave for a screen name, so it is asked once; reset with the URL.
    social_vk_id = fields.Char("VK id", readonly=True, copy=False)
    social_facebook_id = fields.Char("Facebook id", readonly=True, copy=False)
    social_x_handle = fields.Char("X handle", readonly=True, copy=False)
    social_birthdate = fields.Date("Birthday")
    social_message_count = fields.Integer("Social message count",
                                          compute="_compute_social_message_count")

    @api.model
    def _social_url_field(self, network):
        return URL_FIELDS[network]

    @api.model
    def _social_id_field(self, network):
        return ID_FIELDS[network]

    def _compute_social_message_count(self):
        groups = self.env["crm.social.message"]._read_group(
            [(self._social_message_link, "in", self.ids)], [self._social_message_link],
            ["__count"])
        counts = {record.id: count for record, count in groups}
        for record in self:
            record.social_message_count = counts.get(record.id, 0)

    @api.constrains("social_vk_url", "social_facebook_url", "social_x_url")
    def _check_social_urls(self):
        for record in self:
            for network, field in URL_FIELDS.items():
                if record[field]:
                    try:
                        parse_profile_url(record[field], network)
                    except SocialError as exc:
                        raise ValidationError(exc.translated(self.env._)) from None

    # ------------------------------------------------------------------ relinking

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._social_relink()
        return records

    def write(self, vals):
        if not self.env.context.get("crm_social_keep_ids"):
            for network, field in URL_FIELDS.items():
                if field in vals and ID_FIELDS[network] not in vals:
                    vals[ID_FIELDS[network]] = False  # a new URL may name someone else
        result = super().write(vals)
        if set(vals) & (set(URL_FIELDS.values()) | {"active"}):
            self._social_relink()
        return result

    def _social_keys(self):
        """{(network, key): record} for the profile URL and ids known without asking
        the network: what an orphaned message of the same person carries."""
        keys = {}
        for record in self:
            for network, field in URL_FIELDS.items():
                if not record[field]:
                    continue
                try:
                    profile = parse_profile_url(record[field], network)
                except SocialError:
                    continue
                keys[(network, profile.url)] = record
                if profile.kind == "id" or network == "x":
                    keys[(network, profile.value.lower())] = record
                if record[ID_FIELDS[network]]:
                    keys[(network, record[ID_FIELDS[network]].lower())] = record
        return keys

    def _social_relink(self):
        """Give messages whose record was deleted back to a record of the same person."""
        keys = self._social_keys()
        if not keys:
            return
        link = self._social_message_link
        Message = self.env["crm.social.message"].sudo()
        values = list({key for _network, key in keys})
        orphans = Message.search([
            ("res_model", "=", self._name), (link, "=", False),
            "|", ("profile_url", "in", values), ("recipient", "in", values)])
        by_record = {}
        for message in orphans:
            record = (keys.get((message.network, message.profile_url))
                      or keys.get((message.network, (message.recipient or "").lower())))
            if record:
                by_record.setdefault(record, Message)
                by_record[record] |= message
        for record, messages in by_record.items():
            messages.write({link: record.id})

    # ------------------------------------------------------------------ buttons

    def _social_networks_filled(self):
        self.ensure_one()
        return [network for network, field in URL_FIELDS.items() if self[field]]

    def _social_wizard(self, model, title):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": model, "view_mode": "form",
            "target": "new", "name": title,
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    def action_social_send(self):
        self.ensure_one()
        if not self._social_networks_filled():
            raise UserError(_("Fill the VK, Facebook or X URL of %s first: messages go to "
                              "a profile.", self.display_name))
        return self._social_wizard("crm.social.send", _("Send message"))

    def action_social_import(self):
        return self._social_wizard("crm.social.import", _("Import from profile"))

    def action_social_get_vk(self):
        self.ensure_one()
        created = self.env["crm.social.service"]._import_vk_history(self)
        message = (_("%s new messages imported from VK.", len(created)) if created
                   else _("No VK messages that Odoo does not have already."))
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": _("VK"), "message": message, "type": "success" if created else "info",
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def action_view_social_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "crm.social.message",
            "name": _("Messages"), "view_mode": "list,form",
            "domain": [(self._social_message_link, "=", self.id)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------ profile import

    def _social_fill_map(self):
        """{field of this model: key of the fetched profile}, in order of preference;
        the concrete model completes it."""
        return {"city": "city", "website": "website", "phone": "phone",
                "social_birthdate": "birthday"}

    def _social_apply_profile(self, found):
        """Write what the profile gives into the empty fields only (the seed: filled
        fields are never overwritten). Returns the labels of the fields filled."""
        self.ensure_one()
        values = {}
        for field, key in self._social_fill_map().items():
            if field in self._fields and not self[field] and found.get(key):
                values[field] = found[key]
        network = found.get("network")
        if network and not self[URL_FIELDS[network]] and found.get("url"):
            values[URL_FIELDS[network]] = found["url"]
        if network and found.get("network_id") and not self[ID_FIELDS[network]] and \
                network != "x":
            values[ID_FIELDS[network]] = found["network_id"]
        if values:
            self.with_context(crm_social_keep_ids=True).write(values)
        return [self._fields[f].get_description(self.env)["string"] for f in values
                if f not in ID_FIELDS.values()]
