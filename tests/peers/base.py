"""Base of the local provider servers ("peers") the tests talk to over real HTTP.

A peer speaks one provider's protocol on 127.0.0.1 (which Odoo's test cases let
requests through to), keeps the provider's state in memory, logs every request and
can be told to misbehave (status codes, delays, dropped connections, lost responses).
Pure stdlib: no Odoo import, so plain pytest tests can use it too.
"""

from __future__ import annotations

import atexit
import ipaddress
import json as jsonlib
import os
import re
import shutil
import ssl
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "Fault",
    "HTTPError",
    "Headers",
    "Peer",
    "PeerCaseMixin",
    "RecordedRequest",
    "Request",
    "Response",
    "peer_fixture",
    "route",
    "tls_ca_file",
]


class Headers(dict):
    """Header dict with case-insensitive keys (stored lower-cased)."""

    def __init__(self, items=()):
        super().__init__()
        for key, value in items.items() if isinstance(items, dict) else items:
            self[key] = value

    def __setitem__(self, key, value):
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(key.lower())

    def get(self, key, default=None):
        return super().get(key.lower(), default)


class HTTPError(Exception):
    """Raised by a handler to answer with an error status."""

    def __init__(self, status: int, json: Any = None, headers: dict | None = None):
        super().__init__(f"HTTP {status}: {json!r}")
        self.status = status
        self.json = json
        self.headers = dict(headers or {})


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: Headers
    body: bytes = b""

    def json(self) -> Any:
        """The body as JSON; a malformed body is the client's fault, so 400."""
        if not self.body:
            return None
        try:
            return jsonlib.loads(self.body)
        except ValueError as exc:
            raise HTTPError(400, {"error": "invalid_json", "message": str(exc)}) from exc

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body, first value of each field."""
        parsed = parse_qs(self.body.decode(), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}


@dataclass
class Response:
    status: int = 200
    json: Any = None  # sent as application/json when not None
    body: bytes = b""
    headers: dict = field(default_factory=dict)


class RecordedRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    time: float  # time.monotonic() when the request arrived
    body: bytes


@dataclass
class Fault:
    """One injected misbehaviour; see Peer.inject."""

    method: str | None
    path: re.Pattern | None
    status: int | None = None
    json: Any = None
    headers: dict = field(default_factory=dict)
    delay: float | None = None
    drop: bool = False
    lose_response: bool = False
    remaining: int | None = 1  # None: forever
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path.fullmatch(path) is not None
        )


def route(method: str, pattern: str):
    """Declare a handler for `method` and a path regex (full match, named groups → kwargs)."""

    def decorate(function):
        function._peer_routes = [*getattr(function, "_peer_routes", ()), (method.upper(), pattern)]
        return function

    return decorate


_tls_lock = threading.Lock()
_tls_files: dict[str, str] = {}


def _make_tls_files() -> dict[str, str]:
    """A throwaway CA and a server certificate it signs for 127.0.0.1 and localhost,
    written once per process (cryptography is an Odoo requirement; imported here so
    plain-HTTP peers never need it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CRM connectors test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory = tempfile.mkdtemp(prefix="peers_tls_")
    atexit.register(shutil.rmtree, directory, True)
    files = {
        "ca": os.path.join(directory, "ca.pem"),
        "cert": os.path.join(directory, "server.pem"),
        "key": os.path.join(directory, "server.key"),
    }
    with open(files["ca"], "wb") as fh:
        fh.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(files["cert"], "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(files["key"], "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return files


def _tls() -> dict[str, str]:
    with _tls_lock:
        if not _tls_files:
            _tls_files.update(_make_tls_files())
        return dict(_tls_files)


def tls_ca_file() -> str:
    """Path of the PEM file of the CA that signs every TLS peer's certificate (give it
    to requests' / msal's ``verify=``)."""
    return _tls()["ca"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Don't wait for handlers still sleeping in an injected delay when stopping.
    block_on_close = False
    # socketserver's default backlog of 5 drops SYNs under a burst of clients (1 s stalls).
    request_queue_size = 128

    def __init__(self, peer: Peer):
        self.peer = peer
        self.ssl_context = None
        if peer.tls:
            files = _tls()
            self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ssl_context.load_cert_chain(files["cert"], files["key"])
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake happens on the first read, in the handler's thread: a slow or
            # refusing client never blocks the accept loop.
            sock = self.ssl_context.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        # A client that gave up (timeout) or refused our certificate is expected;
        # anything else is a peer bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real providers
    # Headers and body go out in two writes; with Nagle each answer would wait ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, *args):  # quiet: no request log on stderr
        pass

    def __getattr__(self, name):
        # Any method (GET, PROPFIND, REPORT...) goes to the peer's router.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self):
        self.server.peer._serve(self)


class Peer:
    """A provider server. Subclass it, declare @route handlers, keep state in reset_state()."""

    _routes: ClassVar[list[tuple[str, re.Pattern, str]]] = []
    # Serve HTTPS with a certificate of tls_ca_file()'s CA (clients that accept only
    # https, e.g. msal); plain HTTP by default. A subclass sets it, or passes tls=True
    # to Peer.__init__.
    tls: bool = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Base classes' routes first, then in definition order; first match wins.
        routes: dict[tuple[str, str], str] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                for method, pattern in getattr(attr, "_peer_routes", ()):
                    routes[(method, pattern)] = name
        cls._routes = [(m, re.compile(p), name) for (m, p), name in routes.items()]

    def __init__(self, *, tls: bool | None = None):
        # Subclasses set their own options before calling this: it ends with reset().
        if tls is not None:
            self.tls = tls
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []  # handler crashes (peer bugs), answered 500
        self._faults: list[Fault] = []
        self._generation = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> Peer:
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # quick stop()
                name=f"peer-{type(self).__name__}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> Peer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ca_file(self) -> str | None:
        """The CA file that verifies this peer's certificate (None for plain HTTP)."""
        return tls_ca_file() if self.tls else None

    def reset(self) -> None:
        """Back to a fresh provider: state, clock, faults and request log."""
        with self.lock:
            self._generation += 1  # requests still in flight from before are dropped
            self._faults.clear()
            self.requests.clear()
            self.errors.clear()
            self._fake_now: datetime | None = None
            self._last_now: datetime | None = None
            self.reset_state()

    def reset_state(self) -> None:
        """Subclass hook: (re)create the provider's state."""

    def before_request(self, request: Request) -> None:
        """Subclass hook run under the lock before a matched handler (e.g. auth); may raise."""

    # -- clock -------------------------------------------------------------------

    def now(self) -> datetime:
        """Aware UTC time, strictly increasing so every write gets a distinct timestamp."""
        with self.lock:
            now = self._fake_now if self._fake_now is not None else datetime.now(timezone.utc)
            if self._last_now is not None and now <= self._last_now:
                now = self._last_now + timedelta(microseconds=1)
            self._last_now = now
            return now

    def set_clock(self, when: datetime | None) -> None:
        """Freeze the peer's clock at `when` (None: back to real time)."""
        with self.lock:
            self._fake_now = when
            self._last_now = None

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            base = self._fake_now if self._fake_now is not None else datetime.now(timezone.utc)
            self._fake_now = base + timedelta(seconds=seconds)

    # -- faults and request log ---------------------------------------------------

    def inject(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | None = None,
        json: Any = None,
        headers: dict | None = None,
        delay: float | None = None,
        drop: bool = False,
        lose_response: bool = False,
        times: int | None = 1,
    ) -> Fault:
        """Misbehave on the next `times` requests matching method and path (full-match regex).

        status: answer it (with json/headers) instead of running the handler.
        delay: sleep first, then answer as otherwise decided.
        drop: close the connection without an answer; the handler does not run.
        lose_response: run the handler (the write happens), then close without an answer.
        """
        if (drop and lose_response) or (status is not None and (drop or lose_response)):
            raise ValueError("status, drop and lose_response exclude each other")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        fault = Fault(
            method=method.upper() if method else None,
            path=re.compile(path) if path is not None else None,
            status=status,
            json=json,
            headers=dict(headers or {}),
            delay=delay,
            drop=drop,
            lose_response=lose_response,
            remaining=times,
        )
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def requests_to(self, method: str | None = None, path: str | None = None):
        """Logged requests matching method and a full-match path regex."""
        pattern = re.compile(path) if path is not None else None
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (pattern is None or pattern.fullmatch(r.path))
            ]

    def _take_fault(self, method: str, path: str, *, status_only: bool = False
                    ) -> Fault | None:
        # Called under the lock; the oldest matching fault is used up first.
        # status_only: only faults that answer with a status (what a sub-request of a
        # batch can carry; a dropped connection or a delay belongs to the whole request).
        for fault in self._faults:
            if status_only and fault.status is None:
                continue
            if fault.matches(method, path):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None

    # -- serving -----------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        try:
            body = _read_body(handler)
        except (ValueError, OSError):
            handler.close_connection = True
            return
        split = urlsplit(handler.path)
        request = Request(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=Headers(handler.headers.items()),
            body=body,
        )
        with self.lock:
            generation = self._generation
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.path,
                    request.query,
                    request.headers,
                    time.monotonic(),
                    body,
                )
            )
            fault = self._take_fault(request.method, request.path)

        if fault and fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests go on meanwhile
            if generation != self._generation:  # the test that asked for it is over
                handler.close_connection = True
                return
        if fault and fault.drop:
            handler.close_connection = True
            return
        if fault and fault.status is not None:
            response = Response(fault.status, fault.json, headers=dict(fault.headers))
        else:
            response = self._dispatch(request)
        if fault and fault.lose_response:
            handler.close_connection = True
            return
        try:
            _send(handler, response)
        except ConnectionError:  # the client gave up waiting
            handler.close_connection = True

    def _dispatch(self, request: Request) -> Response:
        allowed = []
        for method, pattern, name in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            kwargs = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            try:
                with self.lock:
                    self.before_request(request)
                    return getattr(self, name)(request, **kwargs)
            except HTTPError as exc:
                return Response(exc.status, exc.json, headers=exc.headers)
            except Exception as exc:  # a bug in the peer: make it loud, not a hang
                traceback.print_exc()
                with self.lock:
                    self.errors.append(exc)
                return Response(500, {"error": "peer_error", "message": repr(exc)})
        if allowed:
            return Response(
                405,
                {"error": "method_not_allowed", "message": f"{request.method} {request.path}"},
                headers={"Allow": ", ".join(sorted(set(allowed)))},
            )
        return Response(404, {"error": "not_found", "message": f"No route for {request.path}"})


def _read_body(handler: _Handler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()  # CRLF after the chunk
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _send(handler: _Handler, response: Response) -> None:
    headers = dict(response.headers)
    body = response.body
    if response.json is not None:
        body = jsonlib.dumps(response.json).encode()
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    handler.send_response(response.status)
    for key, value in headers.items():
        handler.send_header(key, str(value))
    no_body = response.status in (204, 304) or response.status < 200
    if not no_body:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if body and not no_body and handler.command != "HEAD":
        handler.wfile.write(body)
    handler.wfile.flush()


class PeerCaseMixin:
    """For unittest-style classes (Odoo's TransactionCase...): one server per class,
    fresh state per test.

        class TestSync(PeerCaseMixin, TransactionCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                cls.peer = cls.start_peer(ContactsPeer)
    """

    @classmethod
    def start_peer(cls, peer_class: type[Peer], **kwargs) -> Peer:
        peer = peer_class(**kwargs).start()
        # Kept on this very class (not inherited), so each class resets only its own.
        if "_started_peers" not in cls.__dict__:
            cls._started_peers = []
        cls._started_peers.append(peer)
        cls.addClassCleanup(peer.stop)
        cls.addClassCleanup(cls._started_peers.remove, peer)
        return peer

    def setUp(self):
        for peer in type(self).__dict__.get("_started_peers", ()):
            peer.reset()
        super().setUp()


def peer_fixture(peer_class: type[Peer], **kwargs):
    """A pytest fixture: one server per test module, reset before each test.

    contacts_peer = peer_fixture(ContactsPeer)   # at module level

    def test_x(contacts_peer): ...
    """
    import pytest  # only this helper needs pytest; Odoo test runs may not have it

    servers: dict[str, Peer] = {}

    @pytest.fixture
    def fixture(request):
        module = request.node.getparent(pytest.Module) or request.session
        peer = servers.get(module.nodeid)
        if peer is None:
            peer = servers[module.nodeid] = peer_class(**kwargs).start()

            def stop():
                servers.pop(module.nodeid, None)
                peer.stop()

            module.addfinalizer(stop)  # server lives as long as the module's tests
        else:
            peer.reset()
        return peer

    return fixture
