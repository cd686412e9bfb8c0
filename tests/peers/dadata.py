"""DaData's address suggestions API (https://dadata.ru/api/suggest/address/), played
locally: ``POST /suggest/address`` with ``Authorization: Token <key>`` and a JSON body
{query, count, from_bound, to_bound, locations, restrict_value}; answers
{"suggestions": [{"value", "unrestricted_value", "data": {...}}]}.

Documented errors: 401 without a key, 403 with a wrong key or a used-up daily limit,
405 for another method, 413 for a body over the limit, 429 over 30 requests a second.

State: ``addresses``: dicts of DaData ``data`` fields (region_with_type,
region_iso_code, city, city_type, city_with_type, city_kladr_id, settlement, …, street,
street_type, street_with_type, street_kladr_id, house, postal_code, kladr_id).
"""

from __future__ import annotations

from .base import HTTPError, Peer, Response, route


class DadataPeer(Peer):
    def __init__(self, token: str = "dadata-key"):
        self.token = token
        super().__init__()

    def reset_state(self):
        self.addresses = []
        self.limit_used_up = False

    def add_address(self, **data) -> dict:
        with self.lock:
            self.addresses.append(data)
            return data

    def before_request(self, request):
        auth = request.headers.get("Authorization") or ""
        if not auth.startswith("Token "):
            raise HTTPError(401, {"family": "CLIENT_ERROR", "reason": "Unauthorized",
                                  "message": "Zero-length key"})
        if auth[6:] != self.token or self.limit_used_up:
            raise HTTPError(403, {"family": "CLIENT_ERROR", "reason": "Forbidden",
                                  "message": "Invalid API key"})

    @staticmethod
    def _level(data):
        for level in ("house", "street", "settlement", "city"):
            if data.get(level):
                return level
        return "region"

    @route("POST", r"/suggest/address")
    def suggest(self, request):
        body = request.json() or {}
        query = (body.get("query") or "").lower().replace("ё", "е")
        if len(query) > 300:
            raise HTTPError(413, {"message": "Request Entity Too Large"})
        count = min(int(body.get("count") or 10), 20)
        order = ["region", "city", "settlement", "street", "house"]
        low = order.index((body.get("from_bound") or {}).get("value") or "region")
        high = order.index((body.get("to_bound") or {}).get("value") or "house")
        locations = body.get("locations") or []
        found = []
        for data in self.addresses:
            level = self._level(data)
            if not low <= order.index(level) <= high:
                continue
            if locations and not any(self._in_location(data, loc) for loc in locations):
                continue
            name = (data.get(level) or "").lower().replace("ё", "е")
            if query and not name.startswith(query):
                continue
            found.append(data)
        return Response(200, {"suggestions": [
            {"value": self._value(d), "unrestricted_value": self._value(d), "data": d}
            for d in found[:count]]})

    @staticmethod
    def _in_location(data, location):
        if "country_iso_code" in location:
            return location["country_iso_code"] == "RU"
        if "kladr_id" in location:
            prefix = location["kladr_id"].rstrip("0")
            return (data.get("kladr_id") or "").startswith(prefix) and \
                data.get("kladr_id") != location["kladr_id"]
        return True

    @staticmethod
    def _value(data):
        parts = [data.get("city_with_type") or data.get("region_with_type"),
                 data.get("settlement_with_type"), data.get("street_with_type"),
                 data.get("house") and f"д {data['house']}"]
        return ", ".join(p for p in parts if p)
