from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request


class KladrController(http.Controller):
    @http.route("/crm_kladr/suggest", type="json", auth="user", methods=["POST"])
    def suggest(self, kind, query="", place_code=None, street_code=None, limit=10):
        """What the address widget asks while the user types: kind is "city",
        "street" (inside place_code) or "house" (of street_code or place_code).
        Internal users only: with DaData, each call spends the company's quota."""
        if not request.env.user._is_internal():
            raise AccessDenied()
        return request.env["crm.kladr.suggest"].suggest(
            kind, query=query, place_code=place_code, street_code=street_code, limit=limit)
