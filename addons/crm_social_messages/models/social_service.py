"""The ORM glue between records and the network clients of utils/."""

import base64
import logging
from datetime import datetime, timezone

import requests

from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.models.sync_runner import can_open_cursor
from odoo.exceptions import UserError

from ..utils import messenger as messenger_api
from ..utils import vk as vk_api_client
from ..utils import x as x_api
from ..utils.errors import SocialError, with_retries
from ..utils.profiles import parse_profile_url

_logger = logging.getLogger(__name__)

PARAM = "crm_social_messages."
LABELS = {"vk": "VK", "facebook": "Facebook", "x": "X"}
VK_IMPORT_LIMIT = 20  # the seed: at most 20 messages per import
VK_PAGE = 200  # messages.getHistory's largest page
VK_SCAN_LIMIT = 2000  # how far back an import looks for messages not yet in Odoo
PHOTO_LIMIT = 5 * 1024 * 1024


class CrmSocialService(models.AbstractModel):
    _name = "crm.social.service"
    _description = "Social networks: sending, profiles, VK history"

    # ------------------------------------------------------------------ settings

    @api.model
    def _param(self, key, default=""):
        return self.env["ir.config_parameter"].sudo().get_param(PARAM + key) or default

    @api.model
    def _set_params(self, values, now=False):
        """Store settings; ``now`` in their own transaction where one can be opened,
        so a rotated X refresh token survives a request that later rolls back."""
        if now and can_open_cursor(self.env):
            with self.env.registry.cursor() as cr:
                return self.with_env(self.env(cr=cr))._set_params(values)
        params = self.env["ir.config_parameter"].sudo()
        for key, value in values.items():
            params.set_param(PARAM + key, value or False)

    @api.model
    def _vk_client(self):
        return vk_api_client.VkClient(
            self._param("vk_token"),
            api_url=self._param("vk_api_url", vk_api_client.DEFAULT_API_URL))

    @api.model
    def _messenger_client(self):
        return messenger_api.MessengerClient(
            self._param("facebook_page_id"), self._param("facebook_page_token"),
            graph_url=self._param("facebook_graph_url", messenger_api.DEFAULT_GRAPH_URL))

    @api.model
    def _x_settings(self):
        return {
            "client_id": self._param("x_client_id"),
            "client_secret": self._param("x_client_secret"),
            "api_url": self._param("x_api_url", x_api.DEFAULT_API_URL),
            "authorize_url": self._param("x_authorize_url", x_api.DEFAULT_AUTHORIZE_URL),
            "token_url": self._param("x_token_url", x_api.DEFAULT_TOKEN_URL),
        }

    @api.model
    def _x_client(self):
        settings = self._x_settings()
        access = self._param("x_access_token")
        tokens = x_api.Tokens(access, self._param("x_refresh_token"),
                              float(self._param("x_expires_at", "0"))) if access else None
        return x_api.XClient(tokens, client_id=settings["client_id"],
                             client_secret=settings["client_secret"],
                             api_url=settings["api_url"], token_url=settings["token_url"],
                             on_tokens=self._x_store_tokens)

    @api.model
    def _x_store_tokens(self, tokens):
        self._set_params({"x_access_token": tokens.access_token,
                          "x_refresh_token": tokens.refresh_token,
                          "x_expires_at": str(int(tokens.expires_at))}, now=True)

    @api.model
    def _x_forget(self, reason=""):
        """The connection is gone (revoked or disconnected): drop its tokens, keep why."""
        self._set_params({"x_access_token": False, "x_refresh_token": False,
                          "x_expires_at": False, "x_status": reason}, now=True)

    # ------------------------------------------------------------------ recipients

    @api.model
    def _profile(self, record, network):
        url = record[record._social_url_field(network)]
        if not url:
            raise SocialError(_("%(record)s has no %(network)s URL.",
                                record=record.display_name, network=LABELS[network]))
        return parse_profile_url(url, network)

    @api.model
    def _recipient(self, record, network):
        """The person's id on the network: known locally from the URL, cached from an
        earlier lookup, or asked of the network once and cached on the record."""
        profile = self._profile(record, network)
        id_field = record._social_id_field(network)
        if network == "x":
            return profile.value.lower(), profile
        if profile.kind == "id":
            return profile.value, profile
        if record[id_field]:
            return record[id_field], profile
        if network == "vk":
            found = str(with_retries(lambda: self._vk_client().resolve_screen_name(
                profile.value)))
        else:
            found = with_retries(lambda: self._messenger_client().resolve_name(profile.value))
        record.sudo().with_context(crm_social_keep_ids=True).write({id_field: found})
        return found, profile

    # ------------------------------------------------------------------ sending

    @api.model
    def _send(self, record, networks, text, facebook_tag=False):
        """One message per network, each sent and journaled on its own: a refusal on
        one network does not stop the others, and nothing is lost either way."""
        text = (text or "").strip()
        if not text:
            raise UserError(_("Write the text of the message."))
        if not networks:
            raise UserError(_("Choose at least one network."))
        link_field = record._social_message_link
        messages = self.env["crm.social.message"]
        for network in networks:
            url = record[record._social_url_field(network)]
            values = {
                "body": text, "network": network, "direction": "outgoing",
                "state": "sending", "res_model": record._name, link_field: record.id,
                "profile_url": _canonical(url, network) or url,
                "facebook_tag": facebook_tag if network == "facebook" else False,
            }
            if network == "vk":
                values["random_id"] = vk_api_client.new_random_id()
            messages |= messages.create(values)
        for message in messages:
            self._deliver(message, record)
        return messages

    @api.model
    def _deliver(self, message, record=None):
        record = record or message.record()
        try:
            if not record:
                raise SocialError(_("The record of this message was deleted."))
            recipient, profile = self._recipient(record, message.network)
            message.recipient = recipient
            message.profile_url = profile.url
            remote_id = with_retries(lambda: self._post(message, recipient))
        except (KeyError, TypeError, ValueError) as exc:
            # An answer of an unexpected shape: the message may or may not have left.
            _logger.exception("%s answered message %s unexpectedly",
                              LABELS[message.network], message.id)
            message.write({"state": "failed", "error": _(
                "%(network)s answered in an unexpected form (%(error)s); check on the "
                "network whether the message arrived before sending it again.",
                network=LABELS[message.network], error=type(exc).__name__)})
            return False
        except SocialError as exc:
            if message.network == "x" and exc.auth:
                self._x_forget(exc.translated(self.env._))
            _logger.info("%s message %s to %s failed: %s", LABELS[message.network],
                         message.id, message.profile_url, exc.reason)
            message.write({"state": "failed", "error": exc.translated(self.env._)})
            return False
        message.write({"state": "sent", "error": False, "remote_id": remote_id,
                       "date": fields.Datetime.now()})
        return True

    @api.model
    def _post(self, message, recipient):
        if message.network == "vk":
            return self._vk_client().send_message(int(recipient), message.body,
                                                  message.random_id)
        if message.network == "facebook":
            return self._messenger_client().send_message(recipient, message.body,
                                                         message.facebook_tag or None)
        return self._x_client().post(f"@{recipient} {message.body}")

    @api.model
    def _notify_result(self, messages):
        sent = messages.filtered(lambda m: m.state == "sent")
        failed = messages - sent
        if failed:
            lines = [f"{LABELS[m.network]}: {m.error}" for m in failed]
            title = _("Not sent") if not sent else _("Partly sent")
            kind = "danger" if not sent else "warning"
        else:
            lines = [_("Sent on %s.", ", ".join(LABELS[m.network] for m in sent))]
            title, kind = _("Message sent"), "success"
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": title, "message": "\n".join(lines), "type": kind,
            "sticky": bool(failed), "next": {"type": "ir.actions.act_window_close"}}}

    # ------------------------------------------------------------------ VK history

    @api.model
    def _import_vk_history(self, record):
        """The newest messages with this person that Odoo does not have yet, at most
        VK_IMPORT_LIMIT, oldest first in time; returns the created messages."""
        try:
            recipient, profile = self._recipient(record, "vk")
            client = self._vk_client()
            Message = self.env["crm.social.message"]
            new, offset = [], 0
            while len(new) < VK_IMPORT_LIMIT and offset < VK_SCAN_LIMIT:
                page = with_retries(lambda offset=offset: client.history(
                    int(recipient), count=VK_PAGE, offset=offset))
                items = page.get("items") or []
                if not items:
                    break
                ids = [str(item["id"]) for item in items]
                known = set(Message.with_context(active_test=False).search(
                    [("network", "=", "vk"), ("remote_id", "in", ids)]).mapped("remote_id"))
                new += [item for item in items if str(item["id"]) not in known]
                offset += len(items)
                if offset >= int(page.get("count") or 0):
                    break
        except SocialError as exc:
            raise UserError(exc.translated(self.env._)) from None
        new = new[:VK_IMPORT_LIMIT]
        link_field = record._social_message_link
        return self.env["crm.social.message"].create([{
            "body": item.get("text") or _("(no text: attachment)"),
            "date": datetime.fromtimestamp(int(item["date"]), timezone.utc).replace(
                tzinfo=None),
            "network": "vk", "remote_id": str(item["id"]),
            "direction": "outgoing" if item.get("out") else "incoming",
            "state": "sent" if item.get("out") else "received",
            "author_id": False if not item.get("out") else self.env.user.id,
            "recipient": recipient, "profile_url": profile.url,
            "res_model": record._name, link_field: record.id,
        } for item in reversed(new)])

    # ------------------------------------------------------------------ profiles

    @api.model
    def _fetch_profile(self, url):
        """What the network says of the person at ``url``, as record-neutral values:
        first_name, last_name, name, city, birthday (date), website, phone, image (b64)."""
        profile = parse_profile_url(url)
        if profile.network == "vk":
            client = self._vk_client()
            person = with_retries(lambda: client.user(profile.value))
            if person.get("deactivated"):
                raise SocialError(_("This VK profile is deleted or banned."))
            values = {
                "first_name": person.get("first_name"), "last_name": person.get("last_name"),
                "city": (person.get("city") or {}).get("title"),
                "birthday": _vk_birthday(person.get("bdate")),
                "website": (person.get("site") or "").split()[0] if person.get("site") else None,
                "phone": person.get("mobile_phone") or person.get("home_phone"),
                "photo_url": person.get("photo_200"),
                "network_id": str(person["id"]),
            }
        elif profile.network == "facebook":
            client = self._messenger_client()
            psid = profile.value if profile.kind == "id" else with_retries(
                lambda: client.resolve_name(profile.value))
            person = with_retries(lambda: client.profile(psid))
            values = {"first_name": person.get("first_name"), "last_name": person.get("last_name"),
                      "photo_url": person.get("profile_pic"), "network_id": str(psid)}
        else:
            person = with_retries(lambda: self._x_client().user_by_username(profile.value))
            first, _sep, last = (person.get("name") or "").partition(" ")
            values = {"first_name": first, "last_name": last, "name": person.get("name"),
                      "city": person.get("location"), "website": person.get("url"),
                      "photo_url": (person.get("profile_image_url") or "").replace(
                          "_normal.", "_400x400."), "network_id": person.get("username")}
        values["network"] = profile.network
        values["url"] = profile.url
        if not values.get("name"):
            values["name"] = " ".join(filter(None, [values.get("first_name"),
                                                    values.get("last_name")]))
        values["image"] = _download_image(values.pop("photo_url", None))
        return {key: value for key, value in values.items() if value}


def _canonical(url, network):
    try:
        return parse_profile_url(url, network).url if url else None
    except SocialError:
        return None


def _vk_birthday(bdate):
    """VK's bdate is D.M.YYYY, or D.M when the person hides the year (no date then)."""
    parts = (bdate or "").split(".")
    if len(parts) != 3:
        return None
    try:
        return datetime(int(parts[2]), int(parts[1]), int(parts[0])).date()
    except ValueError:
        return None


def _download_image(url):
    """The profile photo as base64, or None: a photo that cannot be had is not worth
    failing the import for (the other fields are still filled)."""
    if not url:
        return None
    try:
        response = requests.get(url, timeout=15, stream=True)
        response.raise_for_status()
        data = response.raw.read(PHOTO_LIMIT + 1, decode_content=True)
    except requests.RequestException as exc:
        _logger.info("profile photo %s not downloaded: %s", url, exc)
        return None
    if len(data) > PHOTO_LIMIT or not data:
        return None
    return base64.b64encode(data)
