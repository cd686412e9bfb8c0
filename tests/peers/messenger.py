"""Facebook's Graph API for a Page: the Send API and the User Profile API.

The 24-hour standard messaging window and message tags are enforced as documented
(https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags);
errors come in Graph's shape with code and error_subcode.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from .base import HTTPError, Peer, Response, route

VERSION = "v21.0"
TAGS = {"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"}


def graph_error(code: int, message: str, subcode: int | None = None,
                kind: str = "OAuthException") -> dict:
    error = {"message": message, "type": kind, "code": code,
             "fbtrace_id": secrets.token_hex(6)}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


class MessengerPeer(Peer):
    PAGE_ID = "555000"
    TOKEN = "page-token-1"

    def reset_state(self):
        self.tokens = {self.TOKEN}
        self.people: dict[str, dict] = {}  # psid -> profile and last_user_message
        self.vanity: dict[str, str] = {}  # username -> psid (when the Graph tells)
        self.sent: list[dict] = []
        self.next_id = 1

    @property
    def base(self) -> str:
        return f"{self.url}/{VERSION}"

    def add_person(self, psid: str, *, hours_since_message: float = 1.0,
                   username: str | None = None, **profile) -> dict:
        with self.lock:
            person = {"id": psid, **profile,
                      "last_user_message": self.now() - timedelta(hours=hours_since_message)}
            self.people[psid] = person
            if username:
                self.vanity[username] = psid
            return person

    def before_request(self, request):
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else request.arg("access_token")
        if token not in self.tokens:
            raise HTTPError(400, graph_error(190, "Invalid OAuth access token - Cannot parse "
                                                  "access token"))

    @route("POST", rf"/{VERSION}/(?P<page_id>\d+)/messages")
    def send(self, request, page_id):
        if page_id != self.PAGE_ID:
            raise HTTPError(400, graph_error(100, "Unsupported post request.", 33,
                                             "GraphMethodException"))
        body = request.json() or {}
        psid = (body.get("recipient") or {}).get("id")
        text = (body.get("message") or {}).get("text")
        kind, tag = body.get("messaging_type"), body.get("tag")
        person = self.people.get(psid)
        if person is None:
            raise HTTPError(400, graph_error(100, "No matching user found", 2018001))
        if not text:
            raise HTTPError(400, graph_error(100, "param message must be non-empty"))
        if kind == "MESSAGE_TAG" and tag not in TAGS:
            raise HTTPError(400, graph_error(100, "Param tag must be one of ..."))
        age = self.now() - person["last_user_message"]
        window = timedelta(hours=24)
        if kind == "MESSAGE_TAG":
            window = timedelta(days=7) if tag == "HUMAN_AGENT" else None
        if window is not None and age > window:
            raise HTTPError(400, graph_error(
                10, "(#10) This message is sent outside of allowed window. Learn more about "
                    "the new policy here: https://developers.facebook.com/docs/messenger-"
                    "platform/policy-overview", 2018278))
        message_id = f"m_{self.next_id}"
        self.next_id += 1
        self.sent.append({"psid": psid, "text": text, "messaging_type": kind, "tag": tag,
                          "message_id": message_id})
        return Response(200, {"recipient_id": psid, "message_id": message_id})

    @route("GET", rf"/{VERSION}/(?P<node>[\w.]+)")
    def node(self, request, node):
        fields = (request.arg("fields") or "id").split(",")
        psid = node if node in self.people else self.vanity.get(node)
        if psid is None:
            raise HTTPError(400, graph_error(
                803, "(#803) Some of the aliases you requested do not exist: " + node))
        person = self.people[psid]
        return Response(200, {f: person[f] for f in ["id", *fields] if f in person})
