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
from .google import GooglePeer

__all__ = [
    "ContactsPeer",
    "Fault",
    "GooglePeer",
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
