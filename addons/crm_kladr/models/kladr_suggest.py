"""The one entry point of the address widget (and of the benchmark): the loaded
classifier or DaData, as the settings say."""

import logging

from odoo import _, api, models
from odoo.exceptions import UserError

from ..utils.dadata import DadataClient, DadataError
from .res_config_settings import DEFAULT_DADATA_URL

_logger = logging.getLogger(__name__)


class CrmKladrSuggest(models.AbstractModel):
    _name = "crm.kladr.suggest"
    _description = "Address suggestions"

    @api.model
    def suggest(self, kind, query="", place_code=None, street_code=None, limit=10):
        if kind not in ("city", "street", "house"):
            raise UserError(_("Unknown kind of address suggestion: %s", kind))
        query = (query or "")[:100]
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param("crm_kladr.source") == "dadata":
            return self._suggest_dadata(kind, query, place_code, street_code, limit)
        store = self.env["crm.kladr.store"]
        if kind == "city":
            return store.search_places(query, limit)
        if kind == "street":
            return store.search_streets(place_code, query, limit) if place_code else []
        code = street_code or place_code
        return store.search_houses(code, query, limit) if code else []

    def _suggest_dadata(self, kind, query, place_code, street_code, limit):
        params = self.env["ir.config_parameter"].sudo()
        token = params.get_param("crm_kladr.dadata_token")
        if not token:
            raise UserError(_("DaData is chosen for address suggestions but no API key is "
                              "saved: enter it in Settings → CRM → Address classifier."))
        client = DadataClient(params.get_param("crm_kladr.dadata_url") or DEFAULT_DADATA_URL,
                              token)
        try:
            if kind == "city":
                cities = client.cities(query, limit) if query else []
                store = self.env["crm.kladr.store"]
                for city in cities:
                    city["state_id"] = store._state_for_iso(city.pop("region_iso", ""))
                return cities
            if kind == "street":
                return client.streets(place_code, query, limit) if place_code else []
            code = street_code or place_code
            return client.houses(code, query, limit) if code else []
        except DadataError as exc:
            _logger.warning("DaData suggestion failed: %s", exc)
            raise UserError(self.env._(exc.template, **exc.params))
