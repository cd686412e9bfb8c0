"""VK API 5.199 as vk_api reaches it: POST /method/<name> with a form.

Errors come back with HTTP 200 and an ``error`` object, as VK does
(https://dev.vk.com/ru/reference/errors). Messages per person, users, screen names,
idempotent messages.send by random_id, and photos served from /photos/.
"""

from __future__ import annotations

from .base import HTTPError, Peer, Response, route


def vk_error(code: int, message: str, params: dict | None = None) -> dict:
    return {"error": {"error_code": code, "error_msg": message, "request_params": [
        {"key": k, "value": v} for k, v in (params or {}).items()]}}


class VkPeer(Peer):
    TOKEN = "vk-token-1"

    def reset_state(self):
        self.tokens = {self.TOKEN}
        self.users: dict[int, dict] = {}
        self.screen_names: dict[str, tuple[str, int]] = {}  # name -> (type, id)
        self.history: dict[int, list[dict]] = {}  # peer id -> messages, oldest first
        self.closed: set[int] = set()  # people who never allowed messages (error 901)
        self.sent_by_random_id: dict[tuple[int, int], int] = {}
        self.next_message_id = 1000
        self.photos: dict[str, bytes] = {}
        self.clock = 1_700_000_000

    # -- state helpers for tests -----------------------------------------------------

    def add_user(self, user_id: int, screen_name: str | None = None, **fields) -> dict:
        with self.lock:
            user = {"id": user_id, "first_name": "", "last_name": "", **fields}
            if screen_name:
                user["screen_name"] = user["domain"] = screen_name
                self.screen_names[screen_name] = ("user", user_id)
            self.users[user_id] = user
            self.history.setdefault(user_id, [])
            return user

    def add_message(self, user_id: int, text: str, *, out: bool = False) -> dict:
        with self.lock:
            self.clock += 60
            message = {"id": self.next_message_id, "date": self.clock, "peer_id": user_id,
                       "from_id": 1 if out else user_id, "out": int(out), "text": text}
            self.next_message_id += 1
            self.history.setdefault(user_id, []).append(message)
            return message

    def messages_with(self, user_id: int) -> list[dict]:
        with self.lock:
            return list(self.history.get(user_id, []))

    # -- protocol -------------------------------------------------------------------

    @route("POST", r"/method/(?P<name>[\w.]+)")
    def method(self, request, name):
        form = request.form()
        if form.get("v") != "5.199":
            return Response(200, vk_error(8, "Invalid request: v is required"))
        if form.get("access_token") not in self.tokens:
            return Response(200, vk_error(5, "User authorization failed: invalid access_token"))
        handler = {
            "utils.resolveScreenName": self._resolve,
            "messages.send": self._send,
            "messages.getHistory": self._history,
            "users.get": self._users_get,
        }.get(name)
        if handler is None:
            return Response(200, vk_error(3, "Unknown method passed"))
        return Response(200, handler(form))

    def _resolve(self, form):
        found = self.screen_names.get(form.get("screen_name", ""))
        if not found:
            return {"response": []}  # VK answers an unknown name with an empty list
        return {"response": {"type": found[0], "object_id": found[1]}}

    def _send(self, form):
        try:
            peer_id, random_id = int(form["peer_id"]), int(form["random_id"])
        except (KeyError, ValueError):
            return vk_error(100, "One of the parameters specified was missing or invalid")
        if peer_id not in self.users:
            return vk_error(113, "Invalid user id")
        if peer_id in self.closed:
            return vk_error(901, "Can't send messages for users without permission")
        if not form.get("message"):
            return vk_error(100, "One of the parameters specified was missing or invalid: "
                                 "message is empty")
        key = (peer_id, random_id)
        if key in self.sent_by_random_id:  # the documented anti-duplicate behaviour
            return {"response": self.sent_by_random_id[key]}
        message = self.add_message(peer_id, form["message"], out=True)
        self.sent_by_random_id[key] = message["id"]
        return {"response": message["id"]}

    def _history(self, form):
        peer_id = int(form.get("peer_id") or form.get("user_id") or 0)
        count = min(int(form.get("count", 20)), 200)
        offset = int(form.get("offset", 0))
        items = list(reversed(self.history.get(peer_id, [])))  # newest first
        return {"response": {"count": len(items), "items": items[offset:offset + count]}}

    def _users_get(self, form):
        result = []
        for ident in form.get("user_ids", "").split(","):
            ident = ident.strip()
            user_id = int(ident) if ident.isdigit() else self.screen_names.get(ident, (0, 0))[1]
            user = self.users.get(user_id)
            if user:
                result.append(dict(user))
        if not result:
            return vk_error(113, "Invalid user id")
        return {"response": result}

    @route("GET", r"/photos/(?P<name>[\w.-]+)")
    def photo(self, request, name):
        if name not in self.photos:
            raise HTTPError(404, {"error": "not found"})
        return Response(200, body=self.photos[name], headers={"Content-Type": "image/png"})
