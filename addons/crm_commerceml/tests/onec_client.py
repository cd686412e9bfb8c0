"""A 1C:Enterprise exchange node in tests: speaks the 1C exchange protocol over HTTP.

The same sequence 1C's "Узлы обмена с сайтами" runs: checkauth (Basic auth) → keep the
cookie → init (read zip / file_limit) → file (split into parts no larger than
file_limit, or smaller when asked) → import repeated while the answer is ``progress``;
and for orders query → success → file.
"""

import requests


class ExchangeFailure(Exception):
    """The site answered ``failure``; the text is its reason."""


class OneCClient:
    def __init__(self, base_url, login, key, *, path="/1c_exchange.php", session=None):
        self.url = base_url.rstrip("/") + path
        self.auth = (login, key)
        self.session = session or requests.Session()
        self.cookie = None
        self.zip = False
        self.file_limit = None
        self.replies = []

    def _call(self, method, params, data=None, auth=False):
        headers = {}
        if self.cookie:
            headers["Cookie"] = f"{self.cookie[0]}={self.cookie[1]}"
        response = self.session.request(
            method, self.url, params=params, data=data, headers=headers, timeout=120,
            auth=self.auth if auth else None)
        response.raise_for_status()
        return response

    def _text(self, response):
        text = response.content.decode("windows-1251")
        self.replies.append(text)
        return text

    def checkauth(self, exchange_type="catalog"):
        text = self._text(self._call("GET", {"type": exchange_type, "mode": "checkauth"},
                                     auth=True))
        lines = text.split("\n")
        if lines[0] != "success":
            raise ExchangeFailure(text)
        self.cookie = (lines[1], lines[2])
        return lines

    def init(self, exchange_type="catalog"):
        text = self._text(self._call("GET", {"type": exchange_type, "mode": "init"}))
        if text.startswith("failure"):
            raise ExchangeFailure(text)
        values = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
        self.zip = values.get("zip") == "yes"
        self.file_limit = int(values["file_limit"])
        return values

    def send_file(self, filename, content, exchange_type="catalog", chunk=None):
        """Upload in parts of at most ``chunk`` (or the site's file_limit) bytes."""
        size = chunk or self.file_limit or len(content) or 1
        parts = [content[i:i + size] for i in range(0, len(content), size)] or [b""]
        text = ""
        for part in parts:
            text = self._text(self._call("POST", {"type": exchange_type, "mode": "file",
                                                  "filename": filename}, data=part))
            if not text.startswith("success"):
                raise ExchangeFailure(text)
        return text

    def import_file(self, filename, max_calls=500):
        """mode=import until success; returns the number of calls it took."""
        for calls in range(1, max_calls + 1):
            text = self._text(self._call("GET", {"type": "catalog", "mode": "import",
                                                 "filename": filename}))
            if text.startswith("success"):
                return calls
            if not text.startswith("progress"):
                raise ExchangeFailure(text)
        raise AssertionError(f"no success after {max_calls} import calls")

    def exchange_catalog(self, files, chunk=None):
        """files: [(name, bytes)] as 1C sends them: import.xml then offers.xml."""
        self.checkauth("catalog")
        self.init("catalog")
        for name, content in files:
            self.send_file(name, content, chunk=chunk)
            if name.lower().endswith(".xml"):
                self.import_file(name)

    def query_orders(self):
        response = self._call("GET", {"type": "sale", "mode": "query"})
        if response.content.startswith(b"failure"):
            raise ExchangeFailure(self._text(response))
        return response

    def success(self, exchange_type="sale"):
        return self._text(self._call("GET", {"type": exchange_type, "mode": "success"}))

    def raw(self, params, data=None, auth=False):
        method = "POST" if data is not None else "GET"
        return self._text(self._call(method, params, data=data, auth=auth))
