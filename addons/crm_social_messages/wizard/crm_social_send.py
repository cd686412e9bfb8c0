from odoo import api, fields, models

from ..utils.messenger import MESSAGE_TAGS

TAG_LABELS = {
    "CONFIRMED_EVENT_UPDATE": "Event update (a registered event)",
    "POST_PURCHASE_UPDATE": "Purchase update (an order, a delivery)",
    "ACCOUNT_UPDATE": "Account update (an application, an account change)",
    "HUMAN_AGENT": "Human agent reply (within 7 days)",
}


class CrmSocialSend(models.TransientModel):
    """Write one person on one or several of the networks whose URL is filled."""

    _name = "crm.social.send"
    _inherit = "crm.social.record.wizard"
    _description = "Send a social network message"

    record_name = fields.Char("To", compute="_compute_networks")
    can_vk = fields.Boolean(compute="_compute_networks")
    can_facebook = fields.Boolean(compute="_compute_networks")
    can_x = fields.Boolean(compute="_compute_networks")
    send_vk = fields.Boolean("VK")
    send_facebook = fields.Boolean("Facebook")
    send_x = fields.Boolean("X")
    body = fields.Text("Message", required=True)
    facebook_tag = fields.Selection([(tag, TAG_LABELS[tag]) for tag in MESSAGE_TAGS],
                                    "Messenger tag",
                                    help="Only outside the 24 hours after the person's last "
                                         "message, and only for a non-promotional update "
                                         "of this kind.")

    @api.depends("res_model", "res_id")
    def _compute_networks(self):
        for wizard in self:
            record = wizard._record() if wizard.res_model and wizard.res_id else None
            filled = record._social_networks_filled() if record else []
            wizard.record_name = record.display_name if record else False
            wizard.can_vk = "vk" in filled
            wizard.can_facebook = "facebook" in filled
            wizard.can_x = "x" in filled

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if values.get("res_model") and values.get("res_id"):
            record = self.env[values["res_model"]].browse(values["res_id"])
            filled = record._social_networks_filled()
            if len(filled) == 1:  # one network: nothing to choose
                values[f"send_{filled[0]}"] = True
        return values

    def action_send(self):
        self.ensure_one()
        record = self._record()
        networks = [n for n in ("vk", "facebook", "x")
                    if self[f"send_{n}"] and self[f"can_{n}"]]
        service = self.env["crm.social.service"]
        messages = service._send(record, networks, self.body, self.facebook_tag)
        return service._notify_result(messages)
