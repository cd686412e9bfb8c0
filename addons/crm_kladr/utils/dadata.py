"""DaData's address suggestions (https://dadata.ru/api/suggest/address/): POST
``{base}/suggest/address`` with ``Authorization: Token <API key>``. Called by the Odoo
server only; the key never reaches the browser.

Answers are turned into the shape of the local classifier's suggestions, so the
widget does not know which source answered. Plain Python (requests); no odoo import.
"""

from __future__ import annotations

import requests

from .errors import ClassifierError, _

TIMEOUT = 5


class DadataError(ClassifierError):
    """DaData refused or failed; the message is for the user."""


# Documented statuses (https://dadata.ru/api/suggest/address/#errors)
_ERRORS = {
    401: _("DaData: the API key is missing or wrong (401). Check it in the settings."),
    403: _("DaData: the API key is not valid or its daily limit is used up (403)."),
    413: _("DaData: the query is too long (413)."),
    429: _("DaData: too many requests per second (429); try again in a moment."),
}


class DadataClient:
    def __init__(self, base_url: str, token: str, *, session: requests.Session | None = None,
                 timeout: float = TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout

    def _suggest(self, body: dict) -> list[dict]:
        try:
            response = self.session.post(
                f"{self.base_url}/suggest/address", json=body, timeout=self.timeout,
                headers={"Authorization": f"Token {self.token}",
                         "Accept": "application/json"})
        except requests.RequestException as exc:
            raise DadataError(_("DaData cannot be reached: %(reason)s"),
                              reason=type(exc).__name__)
        if response.status_code in _ERRORS:
            raise DadataError(_ERRORS[response.status_code])
        if response.status_code >= 400:
            raise DadataError(_("DaData answered %(status)s"), status=response.status_code)
        try:
            return response.json().get("suggestions") or []
        except (ValueError, AttributeError):
            raise DadataError(_("DaData answered with something that is not JSON"))

    def cities(self, query: str, limit: int = 10) -> list[dict]:
        suggestions = self._suggest({
            "query": query, "count": limit,
            "from_bound": {"value": "city"}, "to_bound": {"value": "settlement"},
            "locations": [{"country_iso_code": "RU"}]})
        result = []
        for item in suggestions:
            data = item.get("data") or {}
            settlement = data.get("settlement")
            name = settlement or data.get("city") or data.get("region") or ""
            socr = (data.get("settlement_type") if settlement else data.get("city_type")) or ""
            code = (data.get("settlement_kladr_id") if settlement
                    else data.get("city_kladr_id")) or data.get("kladr_id") or ""
            context = [data.get("region_with_type") or ""]
            if data.get("area_with_type"):
                context.append(data["area_with_type"])
            if settlement and data.get("city_with_type"):
                context.append(data["city_with_type"])
            if context[0] and context[0] in ((data.get("city_with_type") or ""),):
                context = context[1:]
            result.append({
                "code": code, "name": name, "type": socr,
                "label": f"{socr}. {name}" if socr else name,
                "description": ", ".join(c for c in context if c),
                "zip": data.get("postal_code") or "",
                "region_iso": (data.get("region_iso_code") or "").removeprefix("RU-"),
                "fias_id": data.get("fias_id") or "",
            })
        return result

    def streets(self, place_code: str, query: str, limit: int = 10) -> list[dict]:
        suggestions = self._suggest({
            "query": query, "count": limit, "restrict_value": True,
            "from_bound": {"value": "street"}, "to_bound": {"value": "street"},
            "locations": [{"kladr_id": place_code}]})
        result = []
        for item in suggestions:
            data = item.get("data") or {}
            street = data.get("street_with_type") or data.get("street") or ""
            socr = data.get("street_type") or ""
            name = data.get("street") or street
            result.append({
                "code": data.get("street_kladr_id") or data.get("kladr_id") or "",
                "name": name, "type": socr,
                "label": f"{socr}. {name}" if socr else name,
                "street": f"{socr}. {name}" if socr else name,
                "zip": data.get("postal_code") or ""})
        return result

    def houses(self, street_code: str, query: str, limit: int = 10) -> list[dict]:
        suggestions = self._suggest({
            "query": query, "count": limit, "restrict_value": True,
            "from_bound": {"value": "house"}, "to_bound": {"value": "house"},
            "locations": [{"kladr_id": street_code}]})
        return [{"number": (item.get("data") or {}).get("house") or "",
                 "label": (item.get("data") or {}).get("house") or "",
                 "zip": (item.get("data") or {}).get("postal_code") or ""}
                for item in suggestions if (item.get("data") or {}).get("house")]
