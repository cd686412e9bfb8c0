"""The site side of the 1C exchange protocol: what 1C's "Узлы обмена с сайтами" calls.

    /1c_exchange.php?type=catalog|sale&mode=checkauth|init|file|import|query|success|...

Replies are the plain-text lines 1C parses (``success`` / ``progress`` / ``failure`` and
a reason) in windows-1251; orders go out as CommerceML XML in UTF-8 with a BOM.
"""

import io
import logging
import os
from datetime import timedelta

import psycopg2

from odoo import _, fields, http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request
from odoo.tools import config

from ..models.res_config_settings import PARAM
from ..models.sale_order import SYNC_CONTEXT_KEY
from ..utils import protocol, reader, writer

_logger = logging.getLogger(__name__)

FAILED_SIGNINS_WINDOW = timedelta(minutes=15)
FAILED_SIGNINS_MAX = 10
STEP_SECONDS_DEFAULT = 20.0


class Refused(Exception):
    """Answered as ``failure\\n<reason>``; the reason is shown to the 1C user.

    ``journal``: the exchange type to write a failed journal entry for, if any.
    """

    def __init__(self, reason, journal=None):
        super().__init__(reason)
        self.journal = journal


def exchange_root(dbname, exchange_type):
    return os.path.join(config.filestore(dbname), "crm_commerceml", exchange_type)


class CommerceMLExchange(http.Controller):

    @http.route(["/crm_commerceml/exchange", "/1c_exchange.php"], type="http", auth="none",
                methods=["GET", "POST"], csrf=False, save_session=False, readonly=False)
    def exchange(self, **params):
        exchange_type = (params.get("type") or "").strip().lower()
        mode = (params.get("mode") or "").strip().lower()
        if not request.db:
            return self._text(protocol.reply_failure("no database selected on this server"))
        env = request.env(su=True)
        try:
            if exchange_type not in ("catalog", "sale"):
                raise Refused(_("Unknown exchange type %r: expected catalog or sale.",
                                exchange_type))
            allowed = protocol.CATALOG_MODES if exchange_type == "catalog" else \
                protocol.SALE_MODES
            if mode not in allowed:
                raise Refused(_("Unknown mode %r for type=%s.", mode, exchange_type))
            if not self._param(env, "enabled"):
                raise Refused(_("The 1C exchange is switched off in Odoo (Settings > Sales > "
                                "1C exchange)."))
            uid = self._authenticate(env, exchange_type, fresh=(mode == "checkauth"))
            user_env = request.env(user=uid, su=False)
            handler = getattr(self, f"_mode_{mode}")
            return handler(user_env, exchange_type, params)
        except Refused as exc:
            request.env.cr.rollback()
            _logger.info("1C exchange %s/%s refused: %s", exchange_type, mode, exc)
            if exc.journal:
                self._journal_failure(env, exc.journal, str(exc))
            return self._text(protocol.reply_failure(str(exc)))
        except (protocol.ProtocolError, reader.CommerceMLError, UserError, AccessError) as exc:
            request.env.cr.rollback()
            reason = exc.args[0] if exc.args else str(exc)
            _logger.warning("1C exchange %s/%s failed: %s", exchange_type, mode, reason)
            self._journal_failure(env, exchange_type, reason)
            return self._text(protocol.reply_failure(reason))

    # -- helpers ------------------------------------------------------------------------

    def _text(self, text, cookies=None):
        response = request.make_response(
            protocol.encode_reply(text),
            headers=[("Content-Type", "text/plain; charset=windows-1251"),
                     ("Cache-Control", "no-store")])
        for name, value in (cookies or {}).items():
            response.set_cookie(name, value, httponly=True, max_age=protocol.SESSION_TTL,
                                samesite="Lax")
        return response

    def _param(self, env, key, default=None):
        return env["ir.config_parameter"].sudo().get_param(PARAM + key, default)

    def _secret(self, env):
        return env["ir.config_parameter"].sudo().get_param("database.secret") + \
            ".crm_commerceml"

    def _remote_addr(self):
        return request.httprequest.remote_addr or ""

    def _authenticate(self, env, exchange_type, fresh=False):
        """The 1C session cookie from checkauth, else HTTP Basic: login + API key."""
        if not fresh:
            cookie = request.httprequest.cookies.get(protocol.COOKIE_NAME)
            uid = protocol.check_session(self._secret(env), cookie) if cookie else None
            if uid and env["res.users"].browse(uid).exists().active:
                return uid
        auth = request.httprequest.authorization
        Exchange = env["crm.commerceml.exchange"]
        since = fields.Datetime.now() - FAILED_SIGNINS_WINDOW
        if Exchange.search_count([("exchange_type", "=", "auth"), ("state", "=", "failed"),
                                  ("remote_addr", "=", self._remote_addr()),
                                  ("date_start", ">=", since)]) >= FAILED_SIGNINS_MAX:
            raise Refused(_("Too many failed sign-ins from this address; wait 15 minutes."))
        reason = None
        if not auth or auth.type != "basic" or not auth.username or not auth.password:
            reason = _("No login and key: set the Odoo login as User and the user's API key "
                       "as Password in 1C's exchange node.")
        else:
            try:
                uid = env["res.users.apikeys"]._check_credentials(scope="rpc",
                                                                  key=auth.password)
            except AccessDenied:
                uid = None
            user = env["res.users"].browse(uid).exists() if uid else None
            if not user or user.login != auth.username:
                reason = _("Wrong login or API key for %s: create an API key in the user's "
                           "preferences (Account Security) and enter it as the password.",
                           auth.username)
            else:
                return user.id
        raise Refused(reason, journal="auth")

    def _journal_failure(self, env, exchange_type, reason, direction="from_1c"):
        env.cr.rollback()
        env["crm.commerceml.exchange"].create({
            "direction": direction, "exchange_type": exchange_type if exchange_type in (
                "catalog", "sale", "auth") else "auth",
            "state": "failed", "error": reason, "date_end": fields.Datetime.now(),
            "remote_addr": self._remote_addr(),
            "user_id": request.env.uid if request.env.uid else False,
        })
        env.cr.commit()

    def _folder(self, env, exchange_type):
        limit = env["crm.commerceml.importer"].sudo()._file_limit()
        return protocol.ExchangeFolder(exchange_root(env.cr.dbname, exchange_type), limit)

    def _current(self, env, exchange_type, direction="from_1c", create=True):
        Exchange = env["crm.commerceml.exchange"].sudo()
        exchange = Exchange.search([("exchange_type", "=", exchange_type),
                                    ("direction", "=", direction),
                                    ("state", "in", ("running", "done")),
                                    ("date_end", "=", False)], limit=1)
        if not exchange and create:
            exchange = Exchange.create({"direction": direction, "exchange_type": exchange_type,
                                        "user_id": env.uid,
                                        "remote_addr": self._remote_addr()})
            env.cr.commit()  # the journal entry outlives a failure of this call
        return exchange

    # -- modes --------------------------------------------------------------------------

    def _mode_checkauth(self, env, exchange_type, params):
        value = protocol.sign_session(self._secret(env), env.uid)
        return self._text(protocol.reply_success(protocol.COOKIE_NAME, value),
                          cookies={protocol.COOKIE_NAME: value})

    def _mode_init(self, env, exchange_type, params):
        folder = self._folder(env, exchange_type)
        folder.clear()
        Exchange = env["crm.commerceml.exchange"].sudo()
        # an exchange 1C abandoned (a lost connection) is closed: this one starts over
        for stale in Exchange.search([("exchange_type", "=", exchange_type),
                                      ("direction", "=", "from_1c"),
                                      ("date_end", "=", False)]):
            if stale.state == "running":
                stale._finish("failed", _("1C started a new exchange before this one ended."))
            else:
                stale._finish(stale.state)
        if exchange_type == "catalog":
            self._current(env, exchange_type)
        zip_allowed = bool(self._param(env, "zip"))
        return self._text(protocol.reply_init(zip_allowed, folder.max_bytes))

    def _mode_file(self, env, exchange_type, params):
        folder = self._folder(env, exchange_type)
        os.makedirs(folder.root, exist_ok=True)
        filename = params.get("filename") or ""
        relative, _size = folder.append(filename, self._body_stream())
        exchange = self._current(env, exchange_type)
        names = set(filter(None, (exchange.files or "").split("\n")))
        if relative not in names:
            exchange.files = "\n".join(sorted(names | {relative}))
        if exchange_type == "sale" and self._complete_xml(folder.path(relative)):
            # 1C sends its orders by mode=file and expects them taken at once (Bitrix
            # does the same); a split file is imported when its last part arrived
            return self._import_step(env, exchange, folder, relative)
        return self._text(protocol.reply_success())

    def _body_stream(self):
        """The raw body as a stream: 1C posts file parts of up to file_limit bytes, which
        Odoo's request wrapper would otherwise read whole into memory."""
        wrapped = getattr(request.httprequest, "_HTTPRequest__wrapped", None)
        if wrapped is not None:
            return wrapped.stream
        return io.BytesIO(request.httprequest.get_data(cache=False))

    def _complete_xml(self, path):
        if not path.lower().endswith(".xml"):
            return False
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 512))
            tail = fh.read()
        return "КоммерческаяИнформация>".encode() in tail.rstrip()[-200:]

    def _mode_import(self, env, exchange_type, params):
        folder = self._folder(env, exchange_type)
        exchange = self._current(env, exchange_type)
        relative = protocol.safe_relative_name(params.get("filename") or "")
        return self._import_step(env, exchange, folder, relative)

    def _import_step(self, env, exchange, folder, relative):
        try:
            env.cr.execute("SELECT id FROM crm_commerceml_exchange WHERE id = %s "
                           "FOR UPDATE NOWAIT", [exchange.id])
        except psycopg2.errors.LockNotAvailable:
            env.cr.rollback()
            return self._text(protocol.reply_progress(
                _("The previous import call is still running.")))
        for archive in [f for f in folder.files() if f.lower().endswith(".zip")]:
            if not self._param(env, "zip"):
                raise protocol.ProtocolError(_(
                    "%s is a zip archive, but zip archives are switched off in Odoo's "
                    "1C exchange settings.", archive))
            folder.unpack_zip(archive)
        path = folder.path(relative)
        if not os.path.isfile(path):
            raise protocol.ProtocolError(_("The file %s was not uploaded (mode=file) before "
                                           "mode=import.", relative))
        if exchange.state == "done":
            exchange.sudo().state = "running"
        importer = env["crm.commerceml.importer"].with_context(**{SYNC_CONTEXT_KEY: True})
        try:
            budget = float(self._param(env, "step_seconds") or STEP_SECONDS_DEFAULT)
        except ValueError:
            budget = STEP_SECONDS_DEFAULT
        try:
            batch_size = int(self._param(env, "batch_size") or 0) or None
        except ValueError:
            batch_size = None
        try:
            finished = importer._import_file(exchange, path, budget_seconds=budget,
                                             **({"batch_size": batch_size} if batch_size
                                                else {}))
        except (reader.CommerceMLError, protocol.ProtocolError) as exc:
            env.cr.rollback()
            exchange._add_failures([("", relative, str(exc))])
            exchange._finish("failed", str(exc))
            if exchange.exchange_type == "sale":
                os.remove(path)
            env.cr.commit()
            return self._text(protocol.reply_failure(str(exc)))
        if not finished:
            done = exchange._state_get()["files"][os.path.basename(path)]["position"]
            return self._text(protocol.reply_progress(
                _("%(file)s: %(done)s items imported, continuing", file=relative, done=done)))
        exchange.sudo().state = "done"
        if exchange.exchange_type == "sale":
            # taken: the next orders file of the same name starts afresh
            os.remove(path)
            exchange._finish("done")
        env.cr.commit()
        return self._text(protocol.reply_success(
            _("%(file)s imported: %(created)s created, %(updated)s updated, %(failed)s failed",
              file=relative, created=exchange.created_count, updated=exchange.updated_count,
              failed=exchange.failed_count)))

    def _mode_deactivate(self, env, exchange_type, params):
        """After a full catalog, archive what 1C no longer sends (never after a partial one)."""
        exchange = self._current(env, exchange_type, create=False)
        if not exchange:
            return self._text(protocol.reply_success())
        files = exchange._state_get().get("files", {})
        full = files and not any(f.get("only_changes") for f in files.values()) and all(
            f.get("done") for f in files.values())
        seen_path = os.path.join(self._folder(env, exchange_type).root, ".seen_ids")
        if full and os.path.exists(seen_path):
            with open(seen_path, encoding="utf-8") as fh:
                seen = {line.strip() for line in fh if line.strip()}
            Template = env["product.template"].with_context(**{SYNC_CONTEXT_KEY: True})
            stale = Template.search([("cml_id", "!=", False)]).filtered(
                lambda t: t.cml_id not in seen)
            if stale:
                stale.write({"active": False})
                exchange._add_counts({"archived": len(stale)})
        return self._text(protocol.reply_success())

    def _mode_complete(self, env, exchange_type, params):
        exchange = self._current(env, exchange_type, create=False)
        if exchange:
            exchange._finish("failed" if exchange.state == "failed" else "done")
        return self._text(protocol.reply_success())

    def _mode_info(self, env, exchange_type, params):
        return self._text(protocol.reply_success("Odoo crm_commerceml", "CommerceML 2.04-2.10"))

    def _mode_query(self, env, exchange_type, params):
        Exchange = env["crm.commerceml.exchange"].sudo()
        now = fields.Datetime.now()
        orders = env["crm.commerceml.importer"]._orders_to_send()
        payload = [env["crm.commerceml.importer"]._order_payload(order) for order in orders]
        # an earlier query 1C never confirmed is superseded by this one
        for stale in Exchange.search([("direction", "=", "to_1c"),
                                      ("state", "=", "running")]):
            stale._finish("failed", _("1C did not confirm these orders (no mode=success)."))
        exchange = Exchange.create({
            "direction": "to_1c", "exchange_type": "sale", "user_id": env.uid,
            "remote_addr": self._remote_addr(), "order_ids": [(6, 0, orders.ids)],
            "updated_count": len(orders)})
        exchange._state_set({"query_at": fields.Datetime.to_string(now)})
        body = writer.write_orders(payload)
        return request.make_response(body, headers=[
            ("Content-Type", "application/xml; charset=utf-8"), ("Cache-Control", "no-store")])

    def _mode_success(self, env, exchange_type, params):
        """1C took the orders of the last query: they are sent, unless changed since."""
        Exchange = env["crm.commerceml.exchange"].sudo()
        exchange = Exchange.search([("direction", "=", "to_1c"), ("state", "=", "running")],
                                   limit=1)
        if exchange:
            query_at = fields.Datetime.to_datetime(exchange._state_get().get("query_at"))
            orders = exchange.order_ids.filtered(
                lambda o: o.cml_changed_at and o.cml_changed_at <= query_at)
            orders.with_context(**{SYNC_CONTEXT_KEY: True}).sudo().write(
                {"cml_changed_at": False})
            exchange._finish("done")
        return self._text(protocol.reply_success())
