"""GooglePeer speaks People v1, Calendar v3 and the token endpoint as the real client
library expects: tested with google-api-python-client over HTTP."""

import json
import warnings

import httplib2
import pytest

from peers import GooglePeer, peer_fixture

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from google.auth.exceptions import RefreshError
    from google.oauth2.credentials import Credentials
    from google_auth_httplib2 import AuthorizedHttp
    from googleapiclient.discovery import build
    from googleapiclient.errors import HttpError

google_peer = peer_fixture(GooglePeer)


def services(peer, token="at-1", refresh="rt-1"):
    creds = Credentials(token=token, refresh_token=refresh, token_uri=peer.url + "/token",
                        client_id="client-1", client_secret="secret-1")
    http = AuthorizedHttp(creds, http=httplib2.Http(timeout=5))
    people = build("people", "v1", http=http, static_discovery=True,
                   client_options={"api_endpoint": peer.url + "/"})
    calendar = build("calendar", "v3", http=http, static_discovery=True,
                     client_options={"api_endpoint": peer.url + "/calendar/v3/"})
    return creds, people, calendar


def test_connections_paging_sync_token_and_expiry(google_peer):
    _, people, _ = services(google_peer)
    for i in range(5):
        google_peer.add_person({"names": [{"unstructuredName": f"P{i}"}]})
    conn = people.people().connections()
    request = conn.list(resourceName="people/me", personFields="names", pageSize=2,
                        requestSyncToken=True)
    names, token, pages = [], None, 0
    while request is not None:
        page = request.execute()
        pages += 1
        assert ("nextSyncToken" in page) == ("nextPageToken" not in page)
        names += [p["names"][0]["unstructuredName"] for p in page.get("connections", [])]
        token = page.get("nextSyncToken") or token
        request = conn.list_next(request, page)
    assert pages == 3 and names == [f"P{i}" for i in range(5)]
    rn = google_peer.live_people()[0]["resourceName"]
    google_peer.delete_person(rn)
    page = conn.list(resourceName="people/me", personFields="names",
                     syncToken=token).execute()
    assert page["connections"] == [{"resourceName": rn, "etag": page["connections"][0]["etag"],
                                    "metadata": {"deleted": True}}]
    google_peer.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        conn.list(resourceName="people/me", personFields="names", syncToken=token).execute()
    assert caught.value.status_code == 400
    assert caught.value.error_details[0]["reason"] == "EXPIRED_SYNC_TOKEN"
    with pytest.raises(HttpError) as caught:
        conn.list(resourceName="people/me", personFields="names", pageSize=1001).execute()
    assert caught.value.status_code == 400


def test_update_contact_etag_and_groups(google_peer):
    _, people, _ = services(google_peer)
    group = people.contactGroups().create(body={"contactGroup": {"name": "Odoo"}}).execute()
    with pytest.raises(HttpError) as caught:
        people.contactGroups().create(body={"contactGroup": {"name": "Odoo"}}).execute()
    assert caught.value.status_code == 409
    created = people.people().createContact(body={
        "names": [{"unstructuredName": "Ann"}],
        "memberships": [{"contactGroupMembership": {
            "contactGroupResourceName": group["resourceName"]}}]},
        personFields="names,memberships").execute()
    rn = created["resourceName"]
    stale = dict(created, names=[{"unstructuredName": "Ann B"}])
    people.people().updateContact(resourceName=rn, body=stale,
                                  updatePersonFields="names").execute()
    with pytest.raises(HttpError) as caught:  # the etag moved on
        people.people().updateContact(resourceName=rn, body=stale,
                                      updatePersonFields="names").execute()
    assert caught.value.status_code == 400
    assert caught.value.error_details[0]["reason"] == "failedPrecondition"
    answer = people.contactGroups().members().modify(
        resourceName=group["resourceName"], body={"resourceNamesToRemove": [rn]}).execute()
    assert answer["canNotRemoveLastContactGroupResourceNames"] == [rn]
    batch = people.people().batchCreateContacts(body={"contacts": [
        {"contactPerson": {"names": [{"unstructuredName": f"B{i}"}]}} for i in range(3)],
        "readMask": "names"}).execute()
    assert len(batch["createdPeople"]) == 3
    with pytest.raises(HttpError):
        people.people().batchCreateContacts(body={"contacts": [
            {"contactPerson": {}}] * 201}).execute()


def test_token_refresh_rotation_and_invalid_grant(google_peer):
    google_peer.rotate_refresh_token = True
    creds, people, _ = services(google_peer, token="stale")
    groups = people.contactGroups().list().execute()  # 401 -> refresh -> retried
    assert {g["resourceName"] for g in groups["contactGroups"]} >= {"contactGroups/myContacts"}
    assert creds.refresh_token == google_peer.refresh_token != "rt-1"
    google_peer.revoke()
    with pytest.raises(RefreshError):
        people.contactGroups().list().execute()


def test_authorization_code_grant(google_peer):
    code = google_peer.issue_code("http://127.0.0.1/cb")
    import requests
    answer = requests.post(google_peer.url + "/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1/cb",
        "client_id": "client-1", "client_secret": "secret-1"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["refresh_token"]
    again = requests.post(google_peer.url + "/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1/cb",
        "client_id": "client-1", "client_secret": "secret-1"}, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_calendar_events_sync_token_etag_and_deleted_calendar(google_peer):
    _, _, calendar = services(google_peer)
    cal = calendar.calendars().insert(body={"summary": "Meetings"}).execute()
    event = calendar.events().insert(calendarId=cal["id"], body={
        "summary": "Kickoff", "start": {"dateTime": "2026-01-05T10:00:00Z"},
        "end": {"dateTime": "2026-01-05T11:00:00Z"}}).execute()
    listing = calendar.events().list(calendarId=cal["id"]).execute()
    token = listing["nextSyncToken"]
    request = calendar.events().update(calendarId=cal["id"], eventId=event["id"],
                                       body=dict(event, summary="Kickoff 2"))
    request.headers["If-Match"] = event["etag"]
    request.execute()
    request = calendar.events().update(calendarId=cal["id"], eventId=event["id"],
                                       body=dict(event, summary="Kickoff 3"))
    request.headers["If-Match"] = event["etag"]
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == 412
    calendar.events().delete(calendarId=cal["id"], eventId=event["id"]).execute()
    changes = calendar.events().list(calendarId=cal["id"], syncToken=token).execute()
    assert [e["status"] for e in changes["items"]] == ["cancelled"]
    google_peer.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId=cal["id"], syncToken=token).execute()
    assert caught.value.status_code == 410
    assert caught.value.error_details[0]["reason"] == "fullSyncRequired"
    google_peer.delete_calendar(cal["id"])
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId=cal["id"]).execute()
    assert caught.value.status_code == 404


def test_429_with_retry_after(google_peer):
    _, people, _ = services(google_peer)
    google_peer.inject("GET", r"/v1/contactGroups", status=429, headers={"Retry-After": "7"},
                       json={"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                       "message": "Quota exceeded"}})
    with pytest.raises(HttpError) as caught:
        people.contactGroups().list().execute(num_retries=0)
    assert caught.value.status_code == 429
    assert caught.value.resp.get("retry-after") == "7"
    assert json.loads(caught.value.content)["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_recurring_series_instances_and_exceptions(google_peer):
    _, _, calendar = services(google_peer)
    cal = calendar.calendars().insert(body={"summary": "Meetings"}).execute()
    master = calendar.events().insert(calendarId=cal["id"], body={
        "summary": "Weekly", "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4",
                                            "EXDATE:20261208T090000Z"],
        "start": {"dateTime": "2026-12-01T09:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-12-01T10:00:00Z", "timeZone": "UTC"}}).execute()
    token = calendar.events().list(calendarId=cal["id"]).execute()["nextSyncToken"]
    instances = calendar.events().instances(calendarId=cal["id"],
                                            eventId=master["id"]).execute()["items"]
    assert [i["originalStartTime"]["dateTime"] for i in instances] == [
        "2026-12-01T09:00:00Z", "2026-12-15T09:00:00Z", "2026-12-22T09:00:00Z"]
    assert {i["recurringEventId"] for i in instances} == {master["id"]}
    google_peer.cancel_instance(cal["id"], master["id"], "2026-12-15T09:00:00Z")
    # singleEvents=false: the master and its cancelled instance, without showDeleted.
    listed = calendar.events().list(calendarId=cal["id"]).execute()["items"]
    assert [(e["id"], e["status"]) for e in listed] == [
        (master["id"], "confirmed"), (f"{master['id']}_20261215T090000Z", "cancelled")]
    changes = calendar.events().list(calendarId=cal["id"], syncToken=token).execute()
    assert [e["recurringEventId"] for e in changes["items"]] == [master["id"]]
    shown = calendar.events().instances(calendarId=cal["id"], eventId=master["id"],
                                        showDeleted=True).execute()["items"]
    assert [i["status"] for i in shown] == ["confirmed", "cancelled", "confirmed"]


def test_event_move(google_peer):
    _, _, calendar = services(google_peer)
    first = calendar.calendars().insert(body={"summary": "Calls"}).execute()
    second = calendar.calendars().insert(body={"summary": "Visits"}).execute()
    event = calendar.events().insert(calendarId=first["id"], body={
        "summary": "Visit", "start": {"date": "2026-12-01"},
        "end": {"date": "2026-12-02"}}).execute()
    token = calendar.events().list(calendarId=first["id"]).execute()["nextSyncToken"]
    moved = calendar.events().move(calendarId=first["id"], eventId=event["id"],
                                   destination=second["id"]).execute()
    assert moved["id"] == event["id"]
    assert [e["id"] for e in google_peer.events(second["id"])] == [event["id"]]
    assert google_peer.events(first["id"]) == []
    changes = calendar.events().list(calendarId=first["id"], syncToken=token).execute()
    assert [e["status"] for e in changes["items"]] == ["cancelled"]
    with pytest.raises(HttpError) as caught:
        calendar.events().move(calendarId=first["id"], eventId=event["id"],
                               destination=second["id"]).execute()
    assert caught.value.status_code == 404


def test_malformed_recurrence_is_refused(google_peer):
    _, _, calendar = services(google_peer)
    cal = calendar.calendars().insert(body={"summary": "Meetings"}).execute()
    with pytest.raises(HttpError) as caught:
        calendar.events().insert(calendarId=cal["id"], body={
            "summary": "Bad", "recurrence": ["RRULE:FREQ=SOMETIMES"],
            "start": {"date": "2026-12-01"}, "end": {"date": "2026-12-02"}}).execute()
    assert caught.value.status_code == 400
    assert google_peer.events(cal["id"]) == []
