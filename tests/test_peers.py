"""Tests of the peer base (tests/peers/base.py) and of ContactsPeer, over real HTTP."""

import threading
import time
import unittest
from datetime import datetime, timezone

import pytest
import requests

from peers import ContactsPeer, HTTPError, Peer, PeerCaseMixin, Response, peer_fixture, route


class EchoPeer(Peer):
    """A minimal peer to test routing and request parsing."""

    def reset_state(self):
        self.hits = 0

    @route("GET", r"/items/(?P<item_id>[^/]+)")
    def get_item(self, request, item_id):
        self.hits += 1
        return Response(
            200,
            {
                "item_id": item_id,
                "query": request.query,
                "header": request.headers.get("x-custom"),
            },
        )

    @route("POST", r"/items")
    def post_item(self, request):
        body = request.json()
        if body.get("fail"):
            raise HTTPError(422, {"error": "nope"}, headers={"X-Reason": "fail"})
        return Response(201, {"echo": body})

    @route("GET", r"/crash")
    def crash(self, request):
        raise RuntimeError("peer bug")

    @route("GET", r"/raw")
    def raw(self, request):
        return Response(200, body=b"plain", headers={"Content-Type": "text/plain"})


echo_peer = peer_fixture(EchoPeer)
contacts_peer = peer_fixture(ContactsPeer)


@pytest.fixture
def api(contacts_peer):
    """A session authorised with the peer's current access token."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {contacts_peer.access_token}"
    yield session
    session.close()


# -- base: routing, parsing, lifecycle ---------------------------------------------------


def test_routing_404_405(echo_peer):
    url = echo_peer.url
    answer = requests.get(
        f"{url}/items/a%20b", params={"q": ["1", "2"]}, headers={"X-Custom": "yes"}, timeout=5
    )
    assert answer.status_code == 200
    assert answer.json() == {"item_id": "a b", "query": {"q": ["1", "2"]}, "header": "yes"}

    missing = requests.get(f"{url}/nowhere", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"

    wrong_method = requests.delete(f"{url}/items/x", timeout=5)
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "GET"
    assert requests.request("PROPFIND", f"{url}/items", timeout=5).status_code == 405


def test_json_body_http_error_and_raw_body(echo_peer):
    created = requests.post(f"{echo_peer.url}/items", json={"a": 1}, timeout=5)
    assert created.status_code == 201 and created.json() == {"echo": {"a": 1}}
    refused = requests.post(f"{echo_peer.url}/items", json={"fail": True}, timeout=5)
    assert refused.status_code == 422 and refused.headers["X-Reason"] == "fail"
    bad_json = requests.post(f"{echo_peer.url}/items", data=b"{nope", timeout=5)
    assert bad_json.status_code == 400 and bad_json.json()["error"] == "invalid_json"
    raw = requests.get(f"{echo_peer.url}/raw", timeout=5)
    assert raw.text == "plain" and raw.headers["Content-Type"] == "text/plain"


def test_chunked_request_body(echo_peer):
    answer = requests.post(f"{echo_peer.url}/items", data=iter([b'{"a":', b" 2}"]), timeout=5)
    assert answer.json() == {"echo": {"a": 2}}


def test_handler_crash_is_500_and_recorded(echo_peer, capsys):
    answer = requests.get(f"{echo_peer.url}/crash", timeout=5)
    assert answer.status_code == 500 and answer.json()["error"] == "peer_error"
    assert isinstance(echo_peer.errors[0], RuntimeError)
    assert "peer bug" in capsys.readouterr().err


def test_keep_alive_session(echo_peer):
    with requests.Session() as session:
        for _ in range(5):
            assert session.get(f"{echo_peer.url}/items/x", timeout=5).status_code == 200
    assert echo_peer.hits == 5


def test_context_manager_and_stop():
    with EchoPeer() as peer:
        url = peer.url
        assert requests.get(f"{url}/items/1", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/items/1", timeout=5)
    with pytest.raises(RuntimeError):
        peer.url  # noqa: B018


def test_request_log(echo_peer):
    before = time.monotonic()
    requests.get(f"{echo_peer.url}/items/1?x=y", headers={"X-Custom": "v"}, timeout=5)
    requests.post(f"{echo_peer.url}/items", json={}, timeout=5)
    first, second = echo_peer.requests
    assert (first.method, first.path, first.query) == ("GET", "/items/1", {"x": ["y"]})
    assert first.headers["x-custom"] == first.headers["X-Custom"] == "v"
    assert before <= first.time <= second.time
    assert second.body == b"{}"
    assert echo_peer.requests_to("POST", r"/items") == [second]


# -- base: faults ----------------------------------------------------------------------


def test_status_fault_with_retry_after(echo_peer):
    fault = echo_peer.inject(
        "GET",
        r"/items/.*",
        status=429,
        json={"error": "rate_limited"},
        headers={"Retry-After": "2"},
    )
    limited = requests.get(f"{echo_peer.url}/items/1", timeout=5)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.json() == {"error": "rate_limited"}
    assert echo_peer.hits == 0  # the handler did not run
    assert requests.get(f"{echo_peer.url}/items/1", timeout=5).status_code == 200
    assert fault.hits == 1 and fault.remaining == 0


def test_delay_exceeding_timeout(echo_peer):
    echo_peer.inject(path=r"/items/1", delay=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{echo_peer.url}/items/1", timeout=0.1)
    # Only one request was delayed; a delay alone then answers normally.
    echo_peer.inject(path=r"/items/1", delay=0.2)
    started = time.monotonic()
    assert requests.get(f"{echo_peer.url}/items/1", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert requests.get(f"{echo_peer.url}/items/1", timeout=0.5).status_code == 200


def test_delay_with_status(echo_peer):
    echo_peer.inject(delay=0.1, status=503)
    assert requests.get(f"{echo_peer.url}/items/1", timeout=5).status_code == 503


def test_drop_does_not_run_handler(contacts_peer, api):
    contacts_peer.inject("POST", r"/contacts", drop=True)
    with pytest.raises(requests.ConnectionError):
        api.post(f"{contacts_peer.url}/contacts", json={"data": {}, "tag": "t1"}, timeout=5)
    assert contacts_peer.contacts() == []
    # The same session goes on working on a new connection.
    assert api.post(f"{contacts_peer.url}/contacts", json={"data": {}}, timeout=5).ok


def test_lose_response_runs_handler(contacts_peer, api):
    contacts_peer.inject("POST", r"/contacts", lose_response=True)
    with pytest.raises(requests.ConnectionError):
        api.post(f"{contacts_peer.url}/contacts", json={"data": {"n": 1}, "tag": "t1"}, timeout=5)
    found = api.get(f"{contacts_peer.url}/contacts", params={"tag": "t1"}, timeout=5).json()
    assert [item["data"] for item in found["items"]] == [{"n": 1}]


def test_faults_times_order_and_matching(echo_peer):
    url = f"{echo_peer.url}/items/1"
    echo_peer.inject("PUT", status=418)  # other method: never used here
    echo_peer.inject("GET", r"/items/\d+", status=500, times=2)
    echo_peer.inject("GET", status=503)
    statuses = [requests.get(url, timeout=5).status_code for _ in range(4)]
    assert statuses == [500, 500, 503, 200]

    forever = echo_peer.inject(path=r"/items/.*", status=502, times=None)
    assert [requests.get(url, timeout=5).status_code for _ in range(3)] == [502] * 3
    assert forever.hits == 3 and forever.remaining is None
    echo_peer.clear_faults()
    assert requests.get(url, timeout=5).status_code == 200


def test_inject_rejects_contradictions(echo_peer):
    with pytest.raises(ValueError):
        echo_peer.inject(status=500, drop=True)
    with pytest.raises(ValueError):
        echo_peer.inject(drop=True, lose_response=True)
    with pytest.raises(ValueError):
        echo_peer.inject(times=0)


def test_reset(echo_peer):
    echo_peer.inject(status=500, times=None)
    requests.get(f"{echo_peer.url}/items/1", timeout=5)
    echo_peer.reset()
    assert echo_peer.requests == [] and echo_peer.hits == 0
    assert requests.get(f"{echo_peer.url}/items/1", timeout=5).status_code == 200


def test_fixture_state_first(contacts_peer):
    contacts_peer.add_contact({"name": "left behind"})
    contacts_peer.inject(status=500, times=None)
    contacts_peer.expire_access_token()


def test_fixture_state_second_is_fresh(contacts_peer, api):
    # Runs after test_fixture_state_first on the same server: nothing of it remains.
    assert contacts_peer.access_token == "at-1"
    listing = api.get(f"{contacts_peer.url}/contacts", timeout=5)
    assert listing.status_code == 200 and listing.json()["items"] == []


def test_peer_case_mixin():
    seen = []

    class Case(PeerCaseMixin, unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            cls.peer = cls.start_peer(ContactsPeer, rotate_refresh_token=True)

        def test_a(self):
            seen.append(self.peer.url)
            self.assertEqual(self.peer.contacts(), [])
            self.assertTrue(self.peer.rotate_refresh_token)
            self.peer.add_contact({})

        def test_b(self):
            self.assertEqual(self.peer.contacts(), [])
            self.peer.add_contact({})

    result = unittest.TextTestRunner(stream=open("/dev/null", "w")).run(  # noqa: SIM115
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert result.wasSuccessful(), result.failures + result.errors
    assert Case._started_peers == []
    with pytest.raises(requests.ConnectionError):
        requests.get(seen[0], timeout=5)


# -- ContactsPeer: auth ----------------------------------------------------------------


def test_auth_required(contacts_peer):
    url = f"{contacts_peer.url}/me"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        denied = requests.get(url, headers=headers, timeout=5)
        assert denied.status_code == 401
        assert denied.json() == {"error": "invalid_token"}
        assert denied.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    me = requests.get(url, headers={"Authorization": "Bearer at-1"}, timeout=5)
    assert me.json() == {"id": "user-1", "email": "owner@example.com"}


def _refresh(peer, refresh_token):
    return requests.post(
        f"{peer.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        timeout=5,
    )


def _me(peer, token):
    return requests.get(f"{peer.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_expire_and_refresh(contacts_peer):
    contacts_peer.expire_access_token()
    assert _me(contacts_peer, "at-1").status_code == 401
    answer = _refresh(contacts_peer, "rt-1").json()
    assert answer["access_token"] == "at-2" and answer["expires_in"] == 3600
    assert "refresh_token" not in answer
    assert _me(contacts_peer, "at-2").status_code == 200
    assert _refresh(contacts_peer, "rt-1").json()["access_token"] == "at-3"
    assert _me(contacts_peer, "at-2").status_code == 401  # only the newest works
    wrong = _refresh(contacts_peer, "rt-nope")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    bad_grant = requests.post(f"{contacts_peer.url}/token", data={"grant_type": "x"}, timeout=5)
    assert bad_grant.status_code == 400


def test_refresh_token_rotation(contacts_peer):
    contacts_peer.rotate_refresh_token = True
    answer = _refresh(contacts_peer, "rt-1").json()
    assert answer["refresh_token"] == "rt-2" == contacts_peer.refresh_token
    assert _refresh(contacts_peer, "rt-1").json()["error"] == "invalid_grant"
    assert _refresh(contacts_peer, "rt-2").status_code == 200


def test_revoke(contacts_peer):
    contacts_peer.revoke()
    assert _me(contacts_peer, "at-1").status_code == 401
    assert _refresh(contacts_peer, "rt-1").json()["error"] == "invalid_grant"
    assert (
        requests.post(
            f"{contacts_peer.url}/token", data={"grant_type": "refresh_token"}, timeout=5
        ).status_code
        == 400
    )


# -- ContactsPeer: listing ---------------------------------------------------------------


def _list_all(api, url, **params):
    """Follow the pages of one listing; return (pages, next_sync_token)."""
    pages = []
    while True:
        answer = api.get(f"{url}/contacts", params=params, timeout=5)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page)
        if "next_page_token" not in page:
            return pages, page["next_sync_token"]
        assert "next_sync_token" not in page  # only on the last page
        params = {**params, "page_token": page["next_page_token"]}


def test_paging_and_incremental(contacts_peer, api):
    for n in range(250):
        contacts_peer.add_contact({"n": n})
    pages, sync_token = _list_all(api, contacts_peer.url, page_size=100)
    assert [len(p["items"]) for p in pages] == [100, 100, 50]
    items = [item for page in pages for item in page["items"]]
    assert len({item["id"] for item in items}) == 250
    assert set(items[0]) == {"id", "etag", "updated", "data", "tag"}

    contacts_peer.edit_contact("c1", {"n": "edited"})
    contacts_peer.delete_contact("c2")
    added = contacts_peer.add_contact({"n": "new"})
    pages, sync_token = _list_all(api, contacts_peer.url, sync_token=sync_token)
    changes = pages[0]["items"]
    assert [c["id"] for c in changes] == ["c1", "c2", added["id"]]
    assert changes[0]["data"] == {"n": "edited"}
    assert changes[1] == {"id": "c2", "deleted": True}

    pages, _ = _list_all(api, contacts_peer.url, sync_token=sync_token)
    assert pages[0]["items"] == []
    full, _ = _list_all(api, contacts_peer.url, page_size=1000)
    assert len(full[0]["items"]) == 250  # c2 gone, the new one in


def test_paging_is_stable_under_writes(contacts_peer, api):
    for n in range(5):
        contacts_peer.add_contact({"n": n})
    first = api.get(f"{contacts_peer.url}/contacts", params={"page_size": 2}, timeout=5).json()
    contacts_peer.delete_contact("c5")
    contacts_peer.add_contact({"n": "late"})
    rest, sync_token = _list_all(
        api, contacts_peer.url, page_size=2, page_token=first["next_page_token"]
    )
    ids = [i["id"] for i in first["items"]] + [i["id"] for p in rest for i in p["items"]]
    assert ids == ["c1", "c2", "c3", "c4", "c5"]  # the listing as it was when it started
    pages, _ = _list_all(api, contacts_peer.url, sync_token=sync_token)
    assert [i["id"] for i in pages[0]["items"]] == ["c5", "c6"]  # later writes come next


def test_sync_token_expired_or_garbage(contacts_peer, api):
    _, sync_token = _list_all(api, contacts_peer.url)
    for token in ("garbage", "st-1-999"):
        gone = api.get(f"{contacts_peer.url}/contacts", params={"sync_token": token}, timeout=5)
        assert gone.status_code == 410 and gone.json()["error"]["reason"] == "fullSyncRequired"
    contacts_peer.expire_sync_tokens()
    gone = api.get(f"{contacts_peer.url}/contacts", params={"sync_token": sync_token}, timeout=5)
    assert gone.status_code == 410
    assert gone.json()["error"]["message"].startswith("Sync token is no longer valid")
    bad_page = api.get(f"{contacts_peer.url}/contacts", params={"page_token": "x"}, timeout=5)
    assert bad_page.status_code == 400


# -- ContactsPeer: items -----------------------------------------------------------------


def test_create_get_and_tag_lookup(contacts_peer, api):
    created = api.post(
        f"{contacts_peer.url}/contacts", json={"data": {"name": "Ann"}, "tag": "odoo-7"}, timeout=5
    )
    assert created.status_code == 201
    item = created.json()
    assert item["id"] == "c1" and item["tag"] == "odoo-7"
    assert created.headers["ETag"] == item["etag"]
    assert api.get(f"{contacts_peer.url}/contacts/c1", timeout=5).json() == item
    assert contacts_peer.get("c1") == item
    by_tag = api.get(f"{contacts_peer.url}/contacts", params={"tag": "odoo-7"}, timeout=5).json()
    assert by_tag == {"items": [item]}
    none = api.get(f"{contacts_peer.url}/contacts", params={"tag": "other"}, timeout=5).json()
    assert none == {"items": []}


def test_invalid_email_and_data(contacts_peer, api):
    url = f"{contacts_peer.url}/contacts"
    refused = api.post(url, json={"data": {"email": "invalid@x"}}, timeout=5)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_email", "message": "Email address is not valid"}
    assert api.post(url, json={"data": "nope"}, timeout=5).status_code == 400
    contact = contacts_peer.add_contact({"email": "a@x"})
    refused = api.put(f"{url}/{contact['id']}", json={"data": {"email": "invalid"}}, timeout=5)
    assert refused.status_code == 400
    assert contacts_peer.contacts() == [contact]


def test_etags_and_412(contacts_peer, api):
    contact = contacts_peer.add_contact({"n": 1})
    url = f"{contacts_peer.url}/contacts/{contact['id']}"
    stale = api.put(url, json={"data": {"n": 2}}, headers={"If-Match": '"999"'}, timeout=5)
    assert stale.status_code == 412 and stale.json() == {"error": "precondition_failed"}
    updated = api.put(
        url, json={"data": {"n": 2}}, headers={"If-Match": contact["etag"]}, timeout=5
    ).json()
    assert updated["etag"] != contact["etag"] and updated["data"] == {"n": 2}
    assert updated["updated"] > contact["updated"]
    assert api.put(url, json={"data": {"n": 3}}, timeout=5).status_code == 200  # no If-Match

    assert api.delete(url, headers={"If-Match": updated["etag"]}, timeout=5).status_code == 412
    current = contacts_peer.get(contact["id"])["etag"]
    assert api.delete(url, headers={"If-Match": current}, timeout=5).status_code == 204
    assert contacts_peer.get(contact["id"]) is None


def test_unknown_and_deleted_are_404(contacts_peer, api):
    url = f"{contacts_peer.url}/contacts"
    contact = contacts_peer.add_contact({})
    contacts_peer.delete_contact(contact["id"])
    for contact_id in ("nope", contact["id"]):
        assert api.get(f"{url}/{contact_id}", timeout=5).status_code == 404
        assert api.put(f"{url}/{contact_id}", json={"data": {}}, timeout=5).status_code == 404
        assert api.delete(f"{url}/{contact_id}", timeout=5).status_code == 404


def test_clock(contacts_peer):
    contacts_peer.set_clock(datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc))
    first = contacts_peer.add_contact({})
    second = contacts_peer.add_contact({})
    assert first["updated"] == "2024-05-01T12:00:00.000000Z"
    assert second["updated"] == "2024-05-01T12:00:00.000001Z"  # strictly increasing
    contacts_peer.advance_clock(60)
    assert contacts_peer.add_contact({})["updated"] == "2024-05-01T12:01:00.000000Z"


def test_concurrent_creates(contacts_peer):
    ids, errors = [], []

    def create(n):
        try:
            answer = requests.post(
                f"{contacts_peer.url}/contacts",
                json={"data": {"n": n}},
                headers={"Authorization": "Bearer at-1"},
                timeout=10,
            )
            ids.append(answer.json()["id"])
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 20 and len(contacts_peer.contacts()) == 20
