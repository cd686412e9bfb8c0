"""The 1C side of the 1C / 1C-Bitrix exchange protocol, against a web shop's endpoint.

Odoo plays 1C:Enterprise toward a shop (1C-Bitrix, WooCommerce or OpenCart with a
1C-exchange plugin...): the same calls 1C's "Узлы обмена с сайтами" makes.

    checkauth (HTTP Basic) → keep the session cookie and any ``sessid=`` line
    init → ``zip=yes|no`` and ``file_limit=<bytes>``
    catalog: file (parts no larger than file_limit, appended by the shop; one zip when
             the shop says zip=yes) → import, repeated while the shop answers progress
    sale:    query (the shop's orders) → success (the shop marks them sent) → file
             (the orders sent back to the shop)

Plain Python on requests; takes and returns plain data. Every failure is a
:class:`ShopError` that carries the shop's own words and the step that failed.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile

import requests

DEFAULT_TIMEOUT = 60.0
# Bitrix answers progress for each step of a big import; a shop that never finishes is
# broken, not slow
MAX_IMPORT_STEPS = 10_000
MIN_FILE_LIMIT = 256


class ShopError(Exception):
    """An exchange step failed. ``step`` is the mode (checkauth, init, file...),
    ``message`` what the shop (or the network) said."""

    def __init__(self, step: str, message: str):
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


def decode_reply(content: bytes, declared: str | None = None) -> str:
    """A plain-text reply: the declared charset, else UTF-8 (with or without a BOM), else
    windows-1251 (what Bitrix sites in the Russian edition send)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    if declared:
        try:
            return content.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("windows-1251", errors="replace")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n")]


def _reason(lines: list[str]) -> str:
    """The shop's explanation after the status line, on one line."""
    return " ".join(line for line in lines[1:] if line) or "(no reason given)"


def _pairs(lines: list[str]) -> dict[str, str]:
    values = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def zip_files(paths: list[str], target: str) -> str:
    """Pack the files (by their base names) into the zip ``target``; returns it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, os.path.basename(path))
    return target


class ShopClient:
    """One exchange session with one shop (one per exchange type: a new checkauth)."""

    def __init__(self, url: str, login: str, password: str, *, timeout: float = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None, allow_zip: bool = True):
        self.url = url
        self.auth = (login or "", password or "")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.allow_zip = allow_zip
        self.cookie: tuple[str, str] | None = None
        self.sessid: str | None = None
        self.zip = False
        self.file_limit: int | None = None
        self.log: list[str] = []  # the shop's replies, short, for the journal

    # -- transport ----------------------------------------------------------------------

    def _request(self, method, exchange_type, mode, *, data=None, auth=False, stream=False,
                 **extra):
        params = {"type": exchange_type, "mode": mode, **extra}
        if self.sessid and not auth:
            params["sessid"] = self.sessid
        headers = {"User-Agent": "1C+Enterprise/8.3 (Odoo crm_commerceml)"}
        if self.cookie and not auth:
            headers["Cookie"] = f"{self.cookie[0]}={self.cookie[1]}"
        if data is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = self.session.request(
                method, self.url, params=params, data=data, headers=headers,
                timeout=self.timeout, auth=self.auth if auth else None, allow_redirects=False,
                stream=stream)
        except requests.Timeout:
            raise ShopError(mode, f"the shop did not answer within {self.timeout:g} seconds")
        except requests.ConnectionError as exc:
            raise ShopError(mode, f"cannot reach the shop at {self.url}: "
                            f"{type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise ShopError(mode, str(exc)) from None
        if response.status_code in (301, 302, 303, 307, 308):
            # not followed: the password would go wherever the shop points
            raise ShopError(mode, f"HTTP {response.status_code}: the shop redirects to "
                            f"{response.headers.get('Location', '?')}; enter that address "
                            "as the exchange URL")
        if response.status_code >= 300:
            text = decode_reply(response.content[:2000], response.encoding
                                if "charset" in response.headers.get("Content-Type", "")
                                else None)
            first = _lines(text)
            words = _reason(first) if first and first[0] == "failure" else " ".join(
                line for line in first if line)[:300]
            hint = " (wrong login or password?)" if response.status_code in (401, 403) else ""
            raise ShopError(mode, f"HTTP {response.status_code}{hint}"
                            + (f": {words}" if words else ""))
        return response

    def _reply(self, response, mode) -> list[str]:
        declared = response.encoding if "charset" in response.headers.get(
            "Content-Type", "").lower() else None
        text = decode_reply(response.content, declared)
        lines = _lines(text)
        self._log(mode, lines)
        status = lines[0].lower() if lines else ""
        if status == "failure":
            raise ShopError(mode, _reason(lines))
        if status not in ("success", "progress"):
            shown = " ".join(line for line in lines if line)[:200] or "an empty answer"
            raise ShopError(mode, f"unexpected answer: {shown}")
        return lines

    def _log(self, mode, lines):
        """Keep the shop's words for the journal, never its session: the cookie and the
        sessid would let anyone reading the journal act as the shop's administrator."""
        if mode == "checkauth" and lines and lines[0].lower() == "success":
            shown = ["success", "(session cookie received)"]
        else:
            shown = [line for line in lines if line and not line.lower().startswith(
                ("sessid=", "timestamp="))]
        self.log.append(f"{mode}: " + " | ".join(shown)[:500])

    # -- the protocol ------------------------------------------------------------------

    def checkauth(self, exchange_type: str) -> None:
        lines = self._reply(self._request("GET", exchange_type, "checkauth", auth=True),
                            "checkauth")
        if lines[0].lower() != "success" or len(lines) < 3 or not lines[1]:
            raise ShopError("checkauth", "the shop did not give a session cookie")
        self.cookie = (lines[1], lines[2])
        self.sessid = _pairs(lines[3:]).get("sessid") or None

    def init(self, exchange_type: str) -> None:
        response = self._request("GET", exchange_type, "init")
        declared = response.encoding if "charset" in response.headers.get(
            "Content-Type", "").lower() else None
        lines = _lines(decode_reply(response.content, declared))
        self._log("init", lines)
        if lines and lines[0].lower() == "failure":
            raise ShopError("init", _reason(lines))
        values = _pairs(lines)
        if "file_limit" not in values and "zip" not in values:
            raise ShopError("init", "unexpected answer: " + " ".join(lines)[:200])
        self.zip = values.get("zip", "no").lower() == "yes"
        try:
            limit = int(values.get("file_limit") or 0)
        except ValueError:
            limit = 0
        # no or a silly limit: parts of 1 MB, which every PHP default accepts
        self.file_limit = limit if limit >= MIN_FILE_LIMIT else 1 << 20
        if values.get("sessid"):
            self.sessid = values["sessid"]

    def send_file(self, exchange_type: str, filename: str, content: bytes | str) -> None:
        """Upload bytes, or the file at a path, in parts no larger than file_limit; the
        shop appends them. A file is read one part at a time."""
        limit = self.file_limit or (1 << 20)
        if isinstance(content, bytes | bytearray):
            stream = io.BytesIO(content)
        else:
            stream = open(content, "rb")  # noqa: SIM115 - closed below
        with stream:
            part = stream.read(limit)
            while True:
                self._reply(self._request("POST", exchange_type, "file", filename=filename,
                                          data=part), "file")
                part = stream.read(limit)
                if not part:
                    break

    def import_file(self, exchange_type: str, filename: str) -> str:
        """mode=import, again while the shop answers progress; returns its last words."""
        for _step in range(MAX_IMPORT_STEPS):
            lines = self._reply(self._request("GET", exchange_type, "import",
                                              filename=filename), "import")
            if lines[0].lower() == "success":
                return _reason(lines) if len(lines) > 1 and any(lines[1:]) else ""
        raise ShopError("import", f"{filename} was still in progress after "
                        f"{MAX_IMPORT_STEPS} steps")

    # -- whole exchanges -----------------------------------------------------------------

    def push_catalog(self, paths: list[str], archive_name="import_files.zip"):
        """Send import.xml / offers.xml files (paths, in import order), zipped when the
        shop accepts it, and have each imported; returns [(name, the shop's words)]."""
        self.checkauth("catalog")
        self.init("catalog")
        names = [os.path.basename(path) for path in paths]
        if self.zip and self.allow_zip:
            with tempfile.TemporaryDirectory(prefix="cml_zip_") as folder:
                archive = zip_files(paths, os.path.join(folder, archive_name))
                self.send_file("catalog", archive_name, archive)
        else:
            for name, path in zip(names, paths, strict=True):
                self.send_file("catalog", name, path)
        return [(name, self.import_file("catalog", name)) for name in names]

    def query_orders(self, fh) -> int:
        """checkauth, init, query: the shop's orders document, as it came (any charset),
        streamed into the binary file ``fh``; returns its size."""
        self.checkauth("sale")
        self.init("sale")
        response = self._request("GET", "sale", "query", stream=True)
        size = 0
        try:
            chunks = response.iter_content(1 << 16)
            head = b""
            for chunk in chunks:
                head += chunk
                if len(head) >= 64:
                    break
            start = head.lstrip(b"\xef\xbb\xbf").lstrip()
            if not start:
                raise ShopError("query", "the shop answered with an empty body")
            if start.startswith(b"failure"):
                head += b"".join(chunks)
                lines = _lines(decode_reply(head[:4000]))
                self.log.append("query: " + " | ".join(line for line in lines if line)[:500])
                raise ShopError("query", _reason(lines))
            fh.write(head)
            size = len(head)
            for chunk in chunks:
                fh.write(chunk)
                size += len(chunk)
        except requests.RequestException as exc:
            raise ShopError("query", f"the answer was cut off: {type(exc).__name__}") from None
        finally:
            response.close()
        self.log.append(f"query: {size} bytes")
        return size

    def success(self) -> None:
        self._reply(self._request("GET", "sale", "success"), "success")

    def send_orders(self, content: bytes, filename: str = "orders.xml") -> None:
        self.send_file("sale", filename, content)
