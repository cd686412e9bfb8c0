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
from .webforms import CaptchaVerifyPeer, OutsideSitePeer

__all__ = [
    "CaptchaVerifyPeer",
    "ContactsPeer",
    "Fault",
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
]
