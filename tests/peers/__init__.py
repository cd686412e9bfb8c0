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
from .domino import DominoPeer
from .domino_rest import DominoRestPeer

__all__ = [
    "ContactsPeer",
    "DominoPeer",
    "DominoRestPeer",
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
