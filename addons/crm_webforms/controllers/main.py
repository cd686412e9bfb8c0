"""Public endpoints of the web forms. The page holding a form lives on another site, so
there is no Odoo session and no CSRF token: posts are CSRF-exempt and guarded instead by
the rate limit, the honeypot and the captcha (see crm.webform._submit)."""

import base64
import json
import logging

from markupsafe import Markup, escape

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a contact form never needs more; bigger posts get 413
CAPTCHA_PER_POST = 5  # captcha images an address may fetch per post it is allowed


def _json(payload, status=200, headers=None):
    return request.make_response(
        json.dumps(payload), status=status,
        headers=[("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                 *(headers or [])])


def _page(title, message, status):
    body = Markup(
        "<!DOCTYPE html><html><head><meta charset='utf-8'/><title>%s</title></head>"
        "<body><h1>%s</h1><p>%s</p></body></html>") % (title, title, message)
    return request.make_response(body, status=status,
                                 headers=[("Content-Type", "text/html; charset=utf-8")])


class WebformController(http.Controller):
    def _form(self, key):
        form = request.env["crm.webform"].sudo().search(
            [("key", "=", key), ("active", "=", True)], limit=1)
        if not form:
            raise request.not_found()
        return form

    @staticmethod
    def _wants_json():
        httprequest = request.httprequest
        if httprequest.mimetype == "application/json":
            return True
        accept = httprequest.accept_mimetypes
        return accept.best_match(["text/html", "application/json"]) == "application/json"

    @staticmethod
    def _posted_data():
        """The post as {name: value}, or raise ValueError with the reason."""
        httprequest = request.httprequest
        if httprequest.mimetype == "application/json":
            data = json.loads(httprequest.get_data(as_text=True) or "{}")
            if not isinstance(data, dict):
                raise ValueError("the JSON body must be an object")
            return data
        if httprequest.files:
            raise ValueError("files are not accepted")
        data = {}
        for name, values in httprequest.form.lists():
            # Two values for one name: refused as a list (values.coerce), never joined.
            data[name] = values[0] if len(values) == 1 else values
        return data

    @http.route("/crm_webforms/<string:key>/captcha", type="http", auth="public",
                methods=["GET"], cors="*", save_session=False)
    def captcha(self, key, **kwargs):
        form = self._form(key)
        if form._captcha_mode() != "builtin":
            return _json({"error": "no_builtin_captcha"}, status=404)
        ip = request.httprequest.remote_addr
        allowed, retry_after = request.env["crm.webform.guard"].sudo()._hit(
            [(f"captcha:{form.id}:{ip}", form.ip_rate_limit * CAPTCHA_PER_POST)])
        if not allowed:
            return _json({"error": "rate_limited"}, status=429,
                         headers=[("Retry-After", str(retry_after))])
        challenge = form._new_captcha()
        # The question is only in the picture; the answer is in neither.
        return _json({"token": challenge.token,
                      "image": "data:image/png;base64,"
                               + base64.b64encode(challenge.image_png).decode()})

    @http.route("/crm_webforms/<string:key>/submit", type="http", auth="public",
                methods=["POST", "OPTIONS"], csrf=False, cors="*", save_session=False,
                max_content_length=MAX_BODY)
    def submit(self, key, **kwargs):
        form = self._form(key)
        wants_json = self._wants_json()
        ip = request.httprequest.remote_addr
        allowed, retry_after = request.env["crm.webform.guard"].sudo()._hit([
            (f"ip:{form.id}:{ip}", form.ip_rate_limit),
            (f"form:{form.id}", form.form_rate_limit)])
        if not allowed:
            return self._answer(form, {"ok": False, "code": "rate_limited", "errors": {}},
                                wants_json, status=429,
                                headers=[("Retry-After", str(retry_after))])
        try:
            data = self._posted_data()
        except ValueError as exc:
            return self._answer(form, {"ok": False, "code": "bad_request", "errors": {},
                                       "messages": {"request": str(exc)}}, wants_json)
        page = data.pop("_wf_page", None) or request.httprequest.referrer or ""
        result = form._submit(data, ip, page if isinstance(page, str) else "")
        return self._answer(form, result, wants_json)

    def _answer(self, form, result, wants_json, status=None, headers=None):
        if wants_json:
            payload = {"ok": result["ok"]}
            if not result["ok"]:
                payload.update(error=result["code"], fields=result.get("errors", {}),
                               messages=result.get("messages", {}))
            return _json(payload, status=status or (200 if result["ok"] else 400),
                         headers=headers)
        target = form._return_redirect(result)
        if target:
            response = request.redirect(target, code=303, local=False)
            for name, value in headers or []:
                response.headers[name] = value
            return response
        if result["ok"]:
            return _page(request.env._("Thank you"),
                         request.env._("Your message was received."), 200)
        messages = result.get("messages") or {}
        detail = Markup("<br/>").join(escape(f"{name}: {text}")
                                      for name, text in sorted(messages.items()))
        return _page(request.env._("The form was not sent"),
                     Markup("%s<br/>%s") % (request.env._(
                         "Please go back, correct the form and send it again (%s).",
                         result["code"]), detail), status or 400)

    @http.route("/crm_webforms/<string:key>/preview", type="http", auth="user",
                methods=["GET"])
    def preview(self, key, **kwargs):
        form = request.env["crm.webform"].search([("key", "=", key)], limit=1)
        if not form:
            raise request.not_found()
        body = Markup(
            "<!DOCTYPE html><html><head><meta charset='utf-8'/><title>%s</title></head>"
            "<body style='font-family:sans-serif;max-width:40em;margin:2em auto'>"
            "<h1>%s</h1>%s</body></html>") % (form.name, form.name, Markup(form.embed_html))
        return request.make_response(body, headers=[("Content-Type",
                                                      "text/html; charset=utf-8")])
