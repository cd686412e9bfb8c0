"""The VK, Messenger and X peers speak their protocols (plain HTTP, no Odoo)."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import requests

from peers import peer_fixture
from peers.messenger import MessengerPeer
from peers.vk import VkPeer
from peers.x import XPeer

vk_peer = peer_fixture(VkPeer)
messenger_peer = peer_fixture(MessengerPeer)
x_peer = peer_fixture(XPeer)


def vk_call(peer, method, **params):
    params.setdefault("access_token", VkPeer.TOKEN)
    params.setdefault("v", "5.199")
    return requests.post(f"{peer.url}/method/{method}", data=params, timeout=5)


def test_vk_errors_come_with_200_and_send_is_idempotent(vk_peer):
    vk_peer.add_user(7, "ivan")
    bad = vk_call(vk_peer, "messages.send", access_token="nope", peer_id=7, random_id=1,
                  message="x")
    assert bad.status_code == 200 and bad.json()["error"]["error_code"] == 5
    first = vk_call(vk_peer, "messages.send", peer_id=7, random_id=42, message="hi").json()
    again = vk_call(vk_peer, "messages.send", peer_id=7, random_id=42, message="hi").json()
    assert first == again and len(vk_peer.messages_with(7)) == 1
    assert vk_call(vk_peer, "utils.resolveScreenName", screen_name="ivan").json() == {
        "response": {"type": "user", "object_id": 7}}
    assert vk_call(vk_peer, "utils.resolveScreenName", screen_name="nobody").json() == {
        "response": []}
    vk_peer.closed.add(7)
    closed = vk_call(vk_peer, "messages.send", peer_id=7, random_id=43, message="x").json()
    assert closed["error"]["error_code"] == 901


def test_vk_history_is_newest_first_with_paging(vk_peer):
    vk_peer.add_user(7)
    for n in range(5):
        vk_peer.add_message(7, f"m{n}")
    page = vk_call(vk_peer, "messages.getHistory", peer_id=7, count=2, offset=1).json()
    assert page["response"]["count"] == 5
    assert [m["text"] for m in page["response"]["items"]] == ["m3", "m2"]


def test_messenger_window_tags_and_token(messenger_peer):
    messenger_peer.add_person("1", hours_since_message=30)
    url = f"{messenger_peer.base}/{MessengerPeer.PAGE_ID}/messages"
    auth = {"Authorization": f"Bearer {MessengerPeer.TOKEN}"}
    body = {"recipient": {"id": "1"}, "message": {"text": "hi"}, "messaging_type": "RESPONSE"}
    outside = requests.post(url, json=body, headers=auth, timeout=5)
    assert outside.status_code == 400
    assert outside.json()["error"]["error_subcode"] == 2018278
    tagged = requests.post(url, json=dict(body, messaging_type="MESSAGE_TAG",
                                          tag="ACCOUNT_UPDATE"), headers=auth, timeout=5)
    assert tagged.status_code == 200 and tagged.json()["recipient_id"] == "1"
    no_token = requests.post(url, json=body, timeout=5)
    assert no_token.json()["error"]["code"] == 190


def test_x_pkce_flow_rotation_and_credits(x_peer):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    consent = requests.get(f"{x_peer.url}/i/oauth2/authorize", params={
        "client_id": XPeer.CLIENT_ID, "redirect_uri": "http://cb.test/cb", "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256"},
        allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    token_url = f"{x_peer.url}/2/oauth2/token"
    client = (XPeer.CLIENT_ID, XPeer.CLIENT_SECRET)
    wrong = requests.post(token_url, auth=client, timeout=5, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": "w" * 50,
        "redirect_uri": "http://cb.test/cb"})
    assert wrong.status_code == 400, "a wrong verifier is refused (and the code is spent)"

    tokens = x_peer.issue_tokens()
    renewed = requests.post(token_url, auth=client, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).json()
    reused = requests.post(token_url, auth=client, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 400, "a rotated refresh token is spent"

    x_peer.credits = 1
    headers = {"Authorization": f"Bearer {renewed['access_token']}"}
    posted = requests.post(f"{x_peer.url}/2/tweets", json={"text": "a"}, headers=headers,
                           timeout=5)
    assert posted.status_code == 201
    broke = requests.post(f"{x_peer.url}/2/tweets", json={"text": "b"}, headers=headers,
                          timeout=5)
    assert broke.status_code == 402 and broke.json()["title"] == "CreditsDepleted"
