"""Local provider servers for the tests; see README.md."""

from .base import (
    Fault,
    Headers,
    HTTPError,
    Peer,
    PeerCaseMixin,
    RecordedRequest,
    Request,
    Response,
    peer_fixture,
    route,
)
from .contacts import ContactsPeer

__all__ = [
    "ContactsPeer",
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
]
