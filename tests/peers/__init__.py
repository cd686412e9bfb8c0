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
    tls_ca_file,
)
from .contacts import ContactsPeer
from .domino import DominoPeer
from .domino_rest import DominoRestPeer
from .google import GooglePeer
from .graph import GraphPeer
from .webforms import CaptchaVerifyPeer, OutsideSitePeer

__all__ = [
    "CaptchaVerifyPeer",
    "ContactsPeer",
    "DominoPeer",
    "DominoRestPeer",
    "Fault",
    "GooglePeer",
    "GraphPeer",
    "HTTPError",
    "Headers",
    "OutsideSitePeer",
    "Peer",
    "PeerCaseMixin",
    "RecordedRequest",
    "Request",
    "Response",
    "peer_fixture",
    "route",
    "tls_ca_file",
]
