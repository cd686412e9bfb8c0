"""Tests of DominoPeer (tests/peers/domino.py) over real HTTP with requests."""

import email.utils
import time

import pytest
import requests

from peers import DominoPeer, peer_fixture

domino_peer = peer_fixture(DominoPeer)


@pytest.fixture
def das(domino_peer):
    session = requests.Session()
    session.auth = ("Ann Admin/Acme", "secret")
    yield session
    session.close()


def test_basic_auth_required(domino_peer):
    answer = requests.get(f"{domino_peer.url}/api", auth=("Ann Admin/Acme", "wrong"),
                          timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert requests.get(f"{domino_peer.url}/api", timeout=5).status_code == 401


def test_create_read_patch_put_delete_document(domino_peer, das):
    url = f"{domino_peer.url}/names.nsf/api/data/documents"
    created = das.post(url, params={"form": "Person", "computewithform": "true"},
                       json={"FirstName": "Ann", "LastName": "Lee", "Form": "Ignored",
                             "Comment": "keep"}, timeout=5)
    assert created.status_code == 201 and not created.content
    location = created.headers["Location"]
    unid = location.rsplit("/", 1)[1]
    doc = das.get(location, timeout=5)
    assert doc.json()["@form"] == "Person" and doc.json()["FirstName"] == "Ann"
    last_modified = doc.headers["Last-Modified"]

    patched = das.patch(location, json={"LastName": "Li"},
                        headers={"If-Unmodified-Since": last_modified}, timeout=5)
    assert patched.status_code == 200 and not patched.content
    assert domino_peer.documents("names.nsf")[0]["Comment"] == "keep"
    override = das.post(location, json={"JobTitle": "CEO"},
                        headers={"X-HTTP-Method-Override": "PATCH"}, timeout=5)
    assert override.status_code == 200

    das.put(location, json={"FirstName": "Ann"}, timeout=5).raise_for_status()
    stored = domino_peer.documents("names.nsf")[0]
    assert "Comment" not in stored and "LastName" not in stored  # PUT replaces

    assert das.delete(location, timeout=5).status_code == 200
    assert das.get(location, timeout=5).status_code == 404
    assert domino_peer.documents("names.nsf") == [] and unid


def test_if_unmodified_since_answers_412(domino_peer, das):
    doc = domino_peer.add_contact(FirstName="Ann")
    location = f"{domino_peer.url}/names.nsf/api/data/documents/unid/{doc['@unid']}"
    stale = email.utils.formatdate(time.time() - 3600, usegmt=True)
    answer = das.patch(location, json={"FirstName": "B"},
                       headers={"If-Unmodified-Since": stale}, timeout=5)
    assert answer.status_code == 412 and answer.json()["code"] == 412
    assert domino_peer.contacts()[0]["FirstName"] == "Ann"
    assert das.delete(location, headers={"If-Unmodified-Since": stale},
                      timeout=5).status_code == 409


def test_view_entries_paging_and_limit(domino_peer, das):
    for n in range(12):
        domino_peer.add_contact(FirstName=f"P{n}")
    url = f"{domino_peer.url}/names.nsf/api/data/collections/name/People"
    first = das.get(url, timeout=5)
    assert len(first.json()) == 10 and first.headers["Content-Range"] == "items 0-9/12"
    rest = das.get(url, params={"start": 10, "count": 100}, timeout=5)
    assert len(rest.json()) == 2
    assert das.get(url, params={"count": 101}, timeout=5).status_code == 400


def test_documents_since_lists_changes_not_deletions(domino_peer, das):
    old = domino_peer.add_contact(FirstName="Old")
    gone = domino_peer.add_contact(FirstName="Gone")
    time.sleep(1.05)
    mark = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    domino_peer.edit_document("names.nsf", old["@unid"], {"FirstName": "Older"})
    domino_peer.delete_document("names.nsf", gone["@unid"])
    url = f"{domino_peer.url}/names.nsf/api/data/documents"
    changed = das.get(url, params={"since": mark}, timeout=5).json()
    assert [d["@unid"] for d in changed] == [old["@unid"]]
    assert das.get(url, params={"since": "yesterday"}, timeout=5).status_code == 400


def test_das_disabled_answers(domino_peer, das):
    doc = domino_peer.add_contact(FirstName="Ann")
    base = f"{domino_peer.url}/names.nsf/api/data"
    domino_peer.disable(db="names.nsf", view="People")
    answer = das.get(f"{base}/collections/name/People", timeout=5)
    assert answer.status_code == 403 and "not enabled for this view [People]" in \
        answer.json()["message"]
    domino_peer.disable(db="names.nsf", views_only=True)
    answer = das.get(f"{base}/documents/unid/{doc['@unid']}", timeout=5)
    assert answer.json()["message"] == "Cannot access resource"
    domino_peer.disable(db="names.nsf")
    answer = das.get(f"{base}/documents", timeout=5)
    assert "not enabled for this database" in answer.json()["message"]
    domino_peer.disable(service="data")
    answer = das.get(f"{base}/documents", timeout=5)
    assert answer.status_code == 403 and not answer.content
    domino_peer.disable(service="calendar")
    assert das.get(f"{domino_peer.url}/mail/aadmin.nsf/api/calendar/events",
                   timeout=5).status_code == 403


def test_calendar_events_summary_full_private_and_invitations(domino_peer, das):
    url = f"{domino_peer.url}/mail/aadmin.nsf/api/calendar/events"
    event = {"summary": "Review", "location": "Room 1", "description": "agenda",
             "start": {"date": "2030-05-01", "time": "10:00:00", "utc": True},
             "end": {"date": "2030-05-01", "time": "11:00:00", "utc": True},
             "attendees": [{"role": "req-participant", "email": "bob@x.test"}]}
    created = das.post(url, json={"events": [event]}, timeout=5)
    assert created.status_code == 201
    assert domino_peer.notices == [{"event": created.headers["Location"].rsplit("/", 1)[1],
                                    "to": "bob@x.test", "summary": "Review"}]
    domino_peer.add_event(dict(event, summary="Secret", attendees=[], **{"class": "private"}))
    listed = das.get(url, params={"since": "2030-01-01T00:00:00Z",
                                  "before": "2031-01-01T00:00:00Z"}, timeout=5).json()
    assert [(e["summary"], e["class"]) for e in listed["events"]] == [
        ("Review", "public"), ("Secret", "private")]
    assert "description" not in listed["events"][0]  # the list holds summary data only
    full = das.get(created.headers["Location"], timeout=5)
    assert full.json()["events"][0]["description"] == "agenda"
    stale = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert das.put(created.headers["Location"], json={"events": [event]},
                   headers={"If-Unmodified-Since": stale}, timeout=5).status_code == 412
    assert das.get(url, params={"since": "2030-01-01"}, timeout=5).status_code == 400
    assert das.delete(created.headers["Location"], timeout=5).status_code == 200
    assert [e["summary"] for e in domino_peer.events()] == ["Secret"]
