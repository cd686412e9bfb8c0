"""Facebook Messenger Send API and the User Profile API, with a Page access token.

Only people who wrote to the Page can be addressed (by their page-scoped id), and only
within 24 hours of their last message, unless a message tag fits the content; outside
that, Facebook answers error 10 / 2018278, which becomes a reason saying so.
"""

from __future__ import annotations

from .errors import SocialError, _
from .http import NetworkClient

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"

# Message tags allowed outside the 24-hour window (non-promotional updates only).
MESSAGE_TAGS = ("CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE",
                "HUMAN_AGENT")

_THROTTLED = {4, 17, 32, 613}


class MessengerClient(NetworkClient):
    label = "Facebook"

    def __init__(self, page_id: str, page_token: str, *, graph_url: str = DEFAULT_GRAPH_URL,
                 timeout: float = 20.0):
        if not page_id or not page_token:
            raise SocialError(_("No Facebook Page id or Page access token is saved: an "
                                "administrator enters them in Settings > CRM > Social "
                                "networks."), auth=True)
        super().__init__(graph_url, timeout=timeout)
        self.page_id = page_id
        self._token = page_token

    def headers(self) -> dict:
        # A header rather than ?access_token=: URLs end up in logs, headers do not.
        return {"Authorization": f"Bearer {self._token}"}

    def send_message(self, psid: str, text: str, tag: str | None = None) -> str:
        body = {"recipient": {"id": psid}, "message": {"text": text},
                "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE"}
        if tag:
            if tag not in MESSAGE_TAGS:
                raise SocialError(_("%(tag)s is not a Messenger message tag."), tag=tag)
            body["tag"] = tag
        answer = self.json("POST", f"{self.page_id}/messages", json=body)
        return str(answer["message_id"])

    def profile(self, psid: str) -> dict:
        return self.json("GET", psid, params={"fields": "first_name,last_name,profile_pic"})

    def resolve_name(self, name: str) -> str:
        try:
            return str(self.json("GET", name, params={"fields": "id"})["id"])
        except SocialError as exc:
            if exc.retry_after is not None or exc.auth:
                raise
            raise SocialError(
                _("Facebook does not tell a Page who facebook.com/%(name)s is. Messages go "
                  "only to people who wrote to the Page: open their conversation in the "
                  "Page inbox and use its link (m.me/<number> or a profile.php?id= link)."),
                name=name) from None

    def error_of(self, response) -> SocialError:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        code, sub = error.get("code"), error.get("error_subcode")
        text = error.get("message") or f"HTTP {response.status_code}"
        suffix = f" [Facebook error {code}{'/' + str(sub) if sub else ''}]"
        if code == 10 and sub == 2018278 or sub == 2018065:
            return SocialError(
                _("Facebook lets a Page write to a person only within 24 hours of their "
                  "last message. Outside that window, send a non-promotional update with a "
                  "message tag (event update, purchase update, account update, or a human "
                  "agent reply within 7 days), or wait until the person writes again."),
                suffix=suffix, code=code)
        if code == 551:
            return SocialError(_("This person is not available on Messenger right now."),
                               suffix=suffix, code=code)
        if code == 190 or response.status_code == 401:
            return SocialError(_("Facebook refused the Page access token (expired or "
                                 "revoked): save a new one in Settings."),
                               suffix=suffix, auth=True, code=code)
        if code in _THROTTLED:
            return SocialError(_("Facebook is throttling the Page (%(error)s)."), error=text,
                               suffix=suffix, retry_after=1.0, code=code)
        if code in (1, 2) or response.status_code >= 500:
            return SocialError(_("Facebook had a temporary problem (%(error)s)."), error=text,
                               suffix=suffix, retry_after=1.0, code=code)
        return SocialError(_("Facebook refused the message: %(error)s"), error=text,
                           suffix=suffix, code=code)
