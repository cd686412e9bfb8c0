"""GraphPeer speaks the identity platform and Graph v1.0 contacts as msal and requests
expect them over HTTPS, and crm_exchange_sync's GraphContactsAdapter syncs against it."""

import json

import msal
import pytest
import requests

from odoo.addons.crm_exchange_sync.utils import graph
from odoo.addons.crm_sync_base.engine.adapter import (
    AccountContext,
    AuthFailed,
    ItemRejected,
    RateLimited,
    TokenInvalid,
    Transient,
    VersionConflict,
)
from peers import GraphPeer, peer_fixture

graph_peer = peer_fixture(GraphPeer)

ANN = "ann@contoso.com"


def session(peer):
    http = requests.Session()
    http.trust_env = False
    http.verify = peer.ca_file
    return http


def app_token(peer, http=None):
    app = msal.ConfidentialClientApplication(
        peer.CLIENT_ID, client_credential=peer.CLIENT_SECRET,
        authority=f"{peer.url}/{peer.TENANT_ID}", http_client=http or session(peer),
        instance_discovery=False)
    return app.acquire_token_for_client(scopes=graph.APP_SCOPES)["access_token"]


def api(peer, http, token, method, path, **kwargs):
    headers = dict(kwargs.pop("headers", {}), Authorization=f"Bearer {token}")
    url = path if path.startswith("https://") else f"{peer.url}/v1.0/{path}"
    return http.request(method, url, headers=headers, timeout=10, **kwargs)


def app_context(peer, **settings):
    saved = {}
    ctx = AccountContext(
        account_id=1, provider="exchange_online", endpoint=f"{peer.url}/v1.0", login=ANN,
        credentials={"client_secret": peer.CLIENT_SECRET},
        settings=dict({"authority_host": peer.url, "tenant": peer.TENANT_DOMAIN,
                       "client_id": peer.CLIENT_ID, "auth_flow": "client_credentials",
                       "ca_bundle": peer.ca_file, "folder_ids": None,
                       "export_folder_id": None}, **settings),
        timeout=10, save_credentials=saved.update)
    return ctx, saved


def device_context(peer, token_cache=None):
    saved = {}
    ctx = AccountContext(
        account_id=2, provider="exchange_online", endpoint=f"{peer.url}/v1.0", login=None,
        credentials={"token_cache": token_cache} if token_cache else {},
        settings={"authority_host": peer.url, "tenant": peer.TENANT_ID,
                  "client_id": peer.PUBLIC_CLIENT_ID, "auth_flow": "device_code",
                  "ca_bundle": peer.ca_file, "folder_ids": None},
        timeout=10, save_credentials=saved.update)
    return ctx, saved


def signed_in(peer):
    """A device-code sign-in of Ann, done through the adapter's own functions."""
    ctx, _ = device_context(peer)
    started = graph.start_device_flow(ctx)
    peer.approve_device_code(started["user_code"])
    return graph.finish_device_flow(ctx, started["flow"])


def canonical(**values):
    empty_address = {"street": "", "city": "", "state": "", "postal_code": "", "country": ""}
    base = {"given_name": "", "surname": "", "display_name": "", "company_name": "",
            "job_title": "", "notes": "", "emails": [], "business_phone": "",
            "mobile_phone": "", "home_phone": "", "business_address": dict(empty_address),
            "home_address": dict(empty_address), "categories": []}
    base.update(values)
    return base


# ------------------------------------------------------------------ the peer itself


def test_identity_platform_through_msal(graph_peer):
    http = session(graph_peer)
    assert app_token(graph_peer, http)
    wrong = msal.ConfidentialClientApplication(
        graph_peer.CLIENT_ID, client_credential="nope", authority=f"{graph_peer.url}/"
        f"{graph_peer.TENANT_DOMAIN}", http_client=http, instance_discovery=False)
    result = wrong.acquire_token_for_client(scopes=graph.APP_SCOPES)
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret")
    unknown = msal.ConfidentialClientApplication(
        "0000-unknown", client_credential="x", authority=f"{graph_peer.url}/"
        f"{graph_peer.TENANT_ID}", http_client=http, instance_discovery=False)
    result = unknown.acquire_token_for_client(scopes=graph.APP_SCOPES)
    assert result["error"] == "unauthorized_client" and result["error_codes"] == [700016]
    with pytest.raises(ValueError, match="double check your tenant"):
        msal.ConfidentialClientApplication(
            graph_peer.CLIENT_ID, client_credential=graph_peer.CLIENT_SECRET,
            authority=f"{graph_peer.url}/fabrikam.example", http_client=http,
            instance_discovery=False)
    # An https-only client refuses the peer without its CA.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{graph_peer.url}/{graph_peer.TENANT_ID}/v2.0/.well-known/"
                     "openid-configuration", timeout=5)


@pytest.mark.filterwarnings("ignore:Attempted too soon")
def test_device_code_grant_through_msal(graph_peer):
    http = session(graph_peer)
    app = msal.PublicClientApplication(
        graph_peer.PUBLIC_CLIENT_ID, authority=f"{graph_peer.url}/{graph_peer.TENANT_ID}",
        http_client=http, instance_discovery=False)
    flow = app.initiate_device_flow(scopes=graph.DELEGATED_SCOPES)
    assert flow["verification_uri"] and flow["user_code"] in flow["message"]
    result = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
    assert result["error"] == "authorization_pending"
    graph_peer.approve_device_code(flow["user_code"])
    result = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
    assert result["id_token_claims"]["preferred_username"] == ANN
    account = app.get_accounts()[0]
    assert account["username"] == ANN
    me = api(graph_peer, http, result["access_token"], "GET", "me").json()
    assert me["mail"] == ANN
    # The refresh token works until the user is locked out.
    assert "access_token" in app.acquire_token_silent_with_error(
        graph.DELEGATED_SCOPES, account, force_refresh=True)
    graph_peer.lock_user()
    result = app.acquire_token_silent_with_error(graph.DELEGATED_SCOPES, account,
                                                 force_refresh=True)
    assert result["error"] == "invalid_grant" and 50053 in result["error_codes"]
    # Declined and expired codes.
    flow = app.initiate_device_flow(scopes=graph.DELEGATED_SCOPES)
    graph_peer.decline_device_code(flow["user_code"])
    assert app.acquire_token_by_device_flow(
        flow, exit_condition=lambda f: True)["error"] == "authorization_declined"
    flow = app.initiate_device_flow(scopes=graph.DELEGATED_SCOPES)
    graph_peer.expire_device_code(flow["user_code"])
    assert app.acquire_token_by_device_flow(
        flow, exit_condition=lambda f: True)["error"] == "expired_token"


def test_graph_tokens_permissions_and_users(graph_peer):
    http = session(graph_peer)
    assert api(graph_peer, http, "", "GET", f"users/{ANN}").status_code == 401
    token = app_token(graph_peer, http)
    assert api(graph_peer, http, token, "GET", f"users/{ANN}").json()["mail"] == ANN
    answer = api(graph_peer, http, token, "GET", "me")
    assert answer.status_code == 400 and "delegated" in answer.json()["error"]["message"]
    answer = api(graph_peer, http, token, "GET", "users/nobody@contoso.com/contactFolders")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "ErrorInvalidUser"
    graph_peer.expire_access_tokens()
    answer = api(graph_peer, http, token, "GET", f"users/{ANN}/contactFolders")
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == ("Lifetime validation failed, the token is "
                                                 "expired.")
    graph_peer.set_roles(graph_peer.CLIENT_ID, {"Contacts.Read"})
    token = app_token(graph_peer, http)
    assert api(graph_peer, http, token, "GET", f"users/{ANN}/contacts").status_code == 200
    answer = api(graph_peer, http, token, "POST", f"users/{ANN}/contacts",
                 json={"givenName": "X"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_folders_delta_paging_and_410(graph_peer):
    http = session(graph_peer)
    token = app_token(graph_peer, http)
    sub = graph_peer.add_folder("Clients")
    child = graph_peer.add_folder("VIP", sub)
    root = api(graph_peer, http, token, "GET", f"users/{ANN}/contactFolders/contacts").json()
    assert root["id"] == graph_peer.root_folder_id() and root["childFolderCount"] == 1
    top = api(graph_peer, http, token, "GET", f"users/{ANN}/contactFolders").json()["value"]
    assert [f["id"] for f in top] == [sub]
    kids = api(graph_peer, http, token, "GET",
               f"users/{ANN}/contactFolders/{sub}/childFolders").json()["value"]
    assert [(f["id"], f["parentFolderId"]) for f in kids] == [(child, sub)]

    ids = [graph_peer.add_contact({"givenName": f"P{i}"}, sub)["id"] for i in range(5)]
    prefer = {"Prefer": "odata.maxpagesize=2"}
    answer = api(graph_peer, http, token, "GET", f"users/{ANN}/contactFolders/{sub}/contacts/"
                 "delta", params={"$select": "givenName"}, headers=prefer).json()
    seen, pages = [], 1
    while "@odata.nextLink" in answer:
        seen += answer["value"]
        bad = api(graph_peer, http, token, "GET", answer["@odata.nextLink"],
                  params={"$select": "surname"}, headers=prefer)
        assert bad.status_code == 400  # $select belongs to the first request only
        answer = api(graph_peer, http, token, "GET", answer["@odata.nextLink"],
                     headers=prefer).json()
        pages += 1
    seen += answer["value"]
    assert pages == 3 and [c["id"] for c in seen] == ids
    assert set(seen[0]) == {"@odata.etag", "id", "givenName"}
    delta_link = answer["@odata.deltaLink"]
    graph_peer.edit_contact(ids[0], {"givenName": "P0b"})
    graph_peer.delete_contact(ids[1])
    answer = api(graph_peer, http, token, "GET", delta_link).json()
    assert {c["id"]: c.get("givenName", c.get("@removed")) for c in answer["value"]} == {
        ids[0]: "P0b", ids[1]: {"reason": "deleted"}}
    graph_peer.expire_delta_tokens()
    answer = api(graph_peer, http, token, "GET", answer["@odata.deltaLink"])
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "syncStateNotFound"
    graph_peer.delete_folder(sub)
    answer = api(graph_peer, http, token, "GET",
                 f"users/{ANN}/contactFolders/{sub}/contacts/delta")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "ErrorItemNotFound"


def test_contacts_etag_and_extended_properties(graph_peer):
    http = session(graph_peer)
    token = app_token(graph_peer, http)
    created = api(graph_peer, http, token, "POST", f"users/{ANN}/contacts", json={
        "givenName": "Ann", "surname": "Lee", "singleValueExtendedProperties": [
            {"id": graph.LOCAL_TAG_PROPERTY, "value": "odoo:1"}]})
    assert created.status_code == 201
    contact = created.json()
    assert contact["displayName"] == "Ann Lee"
    assert contact["@odata.etag"] == f'W/"{contact["changeKey"]}"'
    expand = f"singleValueExtendedProperties($filter=id eq '{graph.LOCAL_TAG_PROPERTY}')"
    got = api(graph_peer, http, token, "GET", f"users/{ANN}/contacts/{contact['id']}",
              params={"$expand": expand}).json()
    assert got["singleValueExtendedProperties"][0]["value"] == "odoo:1"
    found = api(graph_peer, http, token, "GET", f"users/{ANN}/contactFolders/contacts/contacts",
                params={"$filter": "singleValueExtendedProperties/Any(ep: ep/id eq "
                                   f"'{graph.LOCAL_TAG_PROPERTY}' and ep/value eq 'odoo:1')"}
                ).json()["value"]
    assert [c["id"] for c in found] == [contact["id"]]
    answer = api(graph_peer, http, token, "PATCH", f"users/{ANN}/contacts/{contact['id']}",
                 json={"jobTitle": "CEO"}, headers={"If-Match": contact["@odata.etag"]})
    assert answer.status_code == 200 and answer.json()["jobTitle"] == "CEO"
    stale = api(graph_peer, http, token, "PATCH", f"users/{ANN}/contacts/{contact['id']}",
                json={"jobTitle": "CTO"}, headers={"If-Match": contact["@odata.etag"]})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    assert graph_peer.contact(contact["id"])["jobTitle"] == "CEO"
    answer = api(graph_peer, http, token, "PATCH", f"users/{ANN}/contacts/{contact['id']}",
                 json={"nickname": "typo"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "RequestBodyRead"
    assert api(graph_peer, http, token, "DELETE",
               f"users/{ANN}/contacts/{contact['id']}").status_code == 204
    assert api(graph_peer, http, token, "GET",
               f"users/{ANN}/contacts/{contact['id']}").status_code == 404


# ------------------------------------------------------------------ the adapter


def test_check_credentials_and_folder_tree(graph_peer):
    ctx, _ = app_context(graph_peer)
    assert graph.check_credentials(ctx) == {"mailbox": ANN, "display_name": "Ann Smith"}
    sub = graph_peer.add_folder("Clients")
    vip = graph_peer.add_folder("VIP", sub)
    root = graph_peer.root_folder_id()
    assert graph.list_folders(ctx) == [
        {"id": root, "name": "Contacts", "parent_id": None, "path": "Contacts"},
        {"id": sub, "name": "Clients", "parent_id": root, "path": "Contacts/Clients"},
        {"id": vip, "name": "VIP", "parent_id": sub, "path": "Contacts/Clients/VIP"},
    ]
    # Without User.Read.All the contacts still prove the mailbox.
    graph_peer.set_roles(graph_peer.CLIENT_ID, {"Contacts.ReadWrite"})
    assert graph.check_credentials(ctx) == {"mailbox": ANN, "display_name": ""}


@pytest.mark.parametrize("case", ["secret", "tenant", "client", "permission", "mailbox",
                                  "no_secret"])
def test_check_credentials_refusals_are_clear(graph_peer, case):
    ctx, _ = app_context(graph_peer)
    expected = {
        "secret": "AADSTS7000215: Invalid client secret provided",
        "tenant": "AADSTS90002: Tenant 'fabrikam.example' not found",
        "client": "AADSTS700016: Application with identifier 'nobody'",
        "permission": "ErrorAccessDenied: Access is denied",
        "mailbox": "ErrorInvalidUser: The requested user 'bob@contoso.com' is invalid",
        "no_secret": "Enter the client secret",
    }[case]
    if case == "secret":
        ctx.credentials = {"client_secret": "wrong"}
    elif case == "tenant":
        ctx.settings["tenant"] = "fabrikam.example"
    elif case == "client":
        ctx.settings["client_id"] = "nobody"
    elif case == "permission":
        graph_peer.set_roles(graph_peer.CLIENT_ID, set())
    elif case == "mailbox":
        ctx.login = "bob@contoso.com"
    else:
        ctx.credentials = {}
    with pytest.raises(AuthFailed) as caught:
        graph.check_credentials(ctx)
    assert expected in str(caught.value)
    assert "Trace ID" not in str(caught.value)


def test_device_flow_approve_decline_expire_and_locked_user(graph_peer):
    ctx, _ = device_context(graph_peer)
    started = graph.start_device_flow(ctx)
    assert started["user_code"] in started["message"] and started["expires_at"]
    flow = json.loads(json.dumps(started["flow"]))  # the UI keeps it as JSON
    assert graph.finish_device_flow(ctx, flow) is None
    graph_peer.approve_device_code(started["user_code"])
    done = graph.finish_device_flow(ctx, flow)
    assert done["mailbox"] == ANN and done["display_name"] == "Ann Smith"
    assert "refresh_token" not in done and done["token_cache"]

    declined = graph.start_device_flow(ctx)
    graph_peer.decline_device_code(declined["user_code"])
    with pytest.raises(AuthFailed, match="declined"):
        graph.finish_device_flow(ctx, declined["flow"])
    expired = graph.start_device_flow(ctx)
    graph_peer.expire_device_code(expired["user_code"])
    with pytest.raises(AuthFailed, match="expired"):
        graph.finish_device_flow(ctx, expired["flow"])

    # Signed in: the sync works on /me, a renewed token is saved, a locked user stops it.
    ctx, saved = device_context(graph_peer, done["token_cache"])
    assert graph.check_credentials(ctx) == {"mailbox": ANN, "display_name": "Ann Smith"}
    graph_peer.expire_access_tokens()
    assert graph.list_folders(ctx)[0]["name"] == "Contacts"
    assert saved["token_cache"] != done["token_cache"]  # the rotated refresh token
    graph_peer.expire_access_tokens()
    graph_peer.lock_user()
    with pytest.raises(AuthFailed, match="AADSTS50053: The account is locked"):
        graph.GraphContactsAdapter(ctx).list_changes(None)
    with pytest.raises(AuthFailed, match="device code"):
        graph.check_credentials(device_context(graph_peer)[0])  # nobody signed in


def test_full_and_incremental_listing_with_paging(graph_peer, monkeypatch):
    monkeypatch.setattr(graph, "DELTA_PAGE_SIZE", 2)
    sub = graph_peer.add_folder("Clients")
    in_root = [graph_peer.add_contact({"givenName": f"R{i}"})["id"] for i in range(3)]
    in_sub = [graph_peer.add_contact({"givenName": f"S{i}"}, sub)["id"] for i in range(2)]
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    full = adapter.list_changes(None)
    assert full.complete and sorted(i.remote_id for i in full.items) == sorted(in_root + in_sub)
    assert set(json.loads(full.next_token)) == {graph_peer.root_folder_id(), sub}
    assert len(graph_peer.requests_to("GET", r".*/contacts/delta")) == 3  # 2 pages + 1

    values = canonical(
        given_name="Olga", surname="Ivanova", display_name="Olga Ivanova",
        company_name="Acme", job_title="CFO", notes="Line 1\nLine 2",
        emails=["olga@acme.example", "o.ivanova@example.com"], business_phone="+7 495 1",
        mobile_phone="+7 916 2", home_phone="+7 495 3",
        business_address={"street": "Tverskaya 1", "city": "Moscow", "state": "",
                          "postal_code": "125009", "country": "Russia"},
        categories=["Customer", "Important"])
    rid, version, stored = adapter.create(values, "odoo:tag:1")
    assert stored == values and version.startswith('W/"')
    graph_peer.edit_contact(in_root[0], {"surname": "Changed"})
    graph_peer.delete_contact(in_sub[0])
    changes = adapter.list_changes(full.next_token)
    assert not changes.complete
    by_id = {i.remote_id: i for i in changes.items}
    assert set(by_id) == {rid, in_root[0], in_sub[0]}
    assert by_id[rid].values == values and by_id[rid].version == version
    assert by_id[in_root[0]].values["surname"] == "Changed"
    assert by_id[in_sub[0]].deleted
    quiet = adapter.list_changes(changes.next_token)
    assert quiet.items == []
    # Moved between two synced folders (same id): listed alive, not deleted.
    graph_peer.move_contact(in_root[1], sub)
    moved = adapter.list_changes(quiet.next_token)
    assert [(i.remote_id, i.deleted) for i in moved.items] == [(in_root[1], False)]
    assert len(graph_peer.contacts(sub)) == 2
    graph_peer.move_contact(in_root[1], graph_peer.root_folder_id())  # and back
    moved = adapter.list_changes(moved.next_token)
    assert [(i.remote_id, i.deleted) for i in moved.items] == [(in_root[1], False)]
    graph_peer.move_contact(in_root[1], sub)

    # Only the chosen folders; updates write every field (what became empty is cleared).
    ctx, _ = app_context(graph_peer, folder_ids=[sub])
    chosen = graph.GraphContactsAdapter(ctx).list_changes(None)
    assert sorted(i.remote_id for i in chosen.items) == sorted([in_sub[1], in_root[1]])
    cleared = canonical(given_name="Olga", display_name="Olga")
    new_version, stored = adapter.update(rid, cleared, version)
    assert stored == cleared and new_version != version
    assert graph_peer.contact(rid)["categories"] == []


def test_410_means_full_resync_without_duplicates(graph_peer):
    ids = [graph_peer.add_contact({"givenName": f"P{i}"})["id"] for i in range(3)]
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    token = adapter.list_changes(None).next_token
    graph_peer.expire_delta_tokens()
    with pytest.raises(TokenInvalid, match="syncStateNotFound"):
        adapter.list_changes(token)
    with pytest.raises(TokenInvalid):
        adapter.list_changes("not json")
    token = adapter.list_changes(None).next_token
    graph_peer.expire_delta_tokens("resyncRequired")
    with pytest.raises(TokenInvalid, match="resyncRequired: Resync required"):
        adapter.list_changes(token)
    again = adapter.list_changes(None)
    assert again.complete and sorted(i.remote_id for i in again.items) == sorted(ids)
    assert len(graph_peer.contacts()) == 3


def test_412_version_conflict_and_deletes(graph_peer):
    contact = graph_peer.add_contact({"givenName": "Ann"})
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    graph_peer.edit_contact(contact["id"], {"jobTitle": "Edited in Outlook"})
    with pytest.raises(VersionConflict, match="ErrorIrresolvableConflict"):
        adapter.update(contact["id"], canonical(given_name="Mine"), contact["@odata.etag"])
    assert graph_peer.contact(contact["id"])["jobTitle"] == "Edited in Outlook"
    with pytest.raises(VersionConflict):
        adapter.delete(contact["id"], contact["@odata.etag"])
    adapter.delete(contact["id"], graph_peer.contact(contact["id"])["@odata.etag"])
    assert graph_peer.contacts() == []
    from odoo.addons.crm_sync_base.engine.adapter import NotFound
    with pytest.raises(NotFound):
        adapter.delete(contact["id"], None)


def test_throttling_honours_retry_after(graph_peer):
    graph_peer.add_contact({"givenName": "Ann"})
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    graph_peer.throttle("GET", r".*/contacts/delta", retry_after=1)
    listing = adapter.list_changes(None)
    assert len(listing.items) == 1
    first, second = graph_peer.requests_to("GET", r".*/contacts/delta")
    assert second.time - first.time >= 1.0
    # Retry-After is honoured THROTTLE_RETRIES times, then the runner decides.
    waits = []
    adapter.client.sleep = waits.append
    throttling = graph_peer.throttle("GET", r".*/contacts/delta", retry_after=2, times=None)
    with pytest.raises(RateLimited) as caught:
        adapter.list_changes(None)
    assert waits == [2.0] * graph.THROTTLE_RETRIES
    assert throttling.hits == graph.THROTTLE_RETRIES + 1
    assert caught.value.retry_after == 2
    graph_peer.clear_faults()
    # A wait longer than the client takes on itself goes to the runner at once.
    graph_peer.throttle("GET", r".*/contacts/delta", retry_after=120)
    with pytest.raises(RateLimited) as caught:
        adapter.list_changes(None)
    assert caught.value.retry_after == 120 and "MailboxConcurrency" in str(caught.value)


def test_expired_access_token_is_renewed(graph_peer):
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    adapter.list_changes(None)
    graph_peer.expire_access_tokens()
    token_calls = len(graph_peer.requests_to("POST", r".*/token"))
    adapter.list_changes(None)
    assert len(graph_peer.requests_to("POST", r".*/token")) == token_calls + 1
    graph_peer.expire_access_tokens()
    graph_peer.apps[graph_peer.CLIENT_ID]["secret"] = "rotated by the admin"
    with pytest.raises(AuthFailed, match="AADSTS7000215"):
        adapter.list_changes(None)


def test_lost_create_is_found_again_by_tag(graph_peer):
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    graph_peer.inject("POST", r".*/contacts", lose_response=True)
    with pytest.raises(Transient):
        adapter.create(canonical(given_name="Lost", display_name="Lost"), "odoo:x:1")
    assert len(graph_peer.contacts()) == 1  # the create happened
    found = adapter.find_by_tag("odoo:x:1")
    assert found.remote_id == graph_peer.contacts()[0]["id"]
    assert found.local_tag == "odoo:x:1" and found.values["given_name"] == "Lost"
    assert adapter.find_by_tag("odoo:x:2") is None
    assert adapter.find_by_tag("it's") is None  # quotes are escaped in $filter


def test_deleted_folder(graph_peer):
    keep = graph_peer.add_folder("Keep")
    gone = graph_peer.add_folder("Gone")
    kept = graph_peer.add_contact({"givenName": "Kept"}, keep)["id"]
    graph_peer.add_contact({"givenName": "Lost with its folder"}, gone)
    ctx, _ = app_context(graph_peer, folder_ids=[keep, gone], export_folder_id=gone)
    adapter = graph.GraphContactsAdapter(ctx)
    token = adapter.list_changes(None).next_token
    graph_peer.delete_folder(gone)
    listing = adapter.list_changes(token)
    # Its contacts are absent from a complete listing: the engine decides on deletions.
    assert listing.complete and [i.remote_id for i in listing.items] == [kept]
    assert set(json.loads(listing.next_token)) == {keep}
    with pytest.raises(ItemRejected, match="no longer exists"):
        adapter.create(canonical(given_name="New"), "odoo:x:9")


def test_batched_creates_updates_and_deletes(graph_peer):
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    items = [(canonical(given_name=f"B{i}", display_name=f"B{i}"), f"odoo:b:{i}")
             for i in range(25)]
    graph_peer.throttle("POST", r".*/contacts", retry_after=1)  # one request of the batch
    created = adapter.create_many(items)
    assert len(graph_peer.requests_to("POST", r"/v1\.0/\$batch")) == 3  # 20 + 5, then 1 again
    assert [values["given_name"] for _, _, values in created] == [f"B{i}" for i in range(25)]
    by_id = {c["id"]: c for c in graph_peer.contacts()}
    assert len(by_id) == 25
    for (rid, version, _), (_, tag) in zip(created, items, strict=True):
        assert by_id[rid]["@odata.etag"] == version
        assert by_id[rid]["singleValueExtendedProperties"][0]["value"] == tag

    (rid0, v0, _), (rid1, v1, _), (rid2, v2, _) = created[:3]
    graph_peer.edit_contact(rid1, {"jobTitle": "Edited in Outlook"})
    results = adapter.update_many([(rid0, canonical(given_name="U0"), v0),
                                   (rid1, canonical(given_name="U1"), v1),
                                   (rid2, canonical(given_name="U2"), None)])
    assert isinstance(results[1], VersionConflict)
    assert results[0][1]["given_name"] == "U0" and results[2][1]["given_name"] == "U2"
    assert graph_peer.contact(rid1)["jobTitle"] == "Edited in Outlook"

    graph_peer.delete_contact(rid2)
    results = adapter.delete_many([(rid0, None), (rid2, None), (rid1, v1)])
    assert results[0] is None
    assert type(results[1]).__name__ == "NotFound"
    assert isinstance(results[2], VersionConflict)
    assert graph_peer.contact(rid0) is None and graph_peer.contact(rid1) is not None

    # Graph refuses more than 20 requests in one batch.
    http = session(graph_peer)
    answer = api(graph_peer, http, app_token(graph_peer, http), "POST", "$batch",
                 json={"requests": [{"id": str(i), "method": "GET", "url": "/me"}
                                    for i in range(21)]})
    assert answer.status_code == 400 and "max limit of 20" in answer.json()["error"]["message"]


def test_deleted_folder_when_syncing_every_folder_and_unticked_folders(graph_peer):
    sub = graph_peer.add_folder("Sub")
    in_root = graph_peer.add_contact({"givenName": "Root"})["id"]
    graph_peer.add_contact({"givenName": "Sub"}, sub)
    ctx, _ = app_context(graph_peer)
    adapter = graph.GraphContactsAdapter(ctx)
    token = adapter.list_changes(None).next_token
    graph_peer.delete_folder(sub)
    listing = adapter.list_changes(token)
    assert listing.complete and [i.remote_id for i in listing.items] == [in_root]
    assert set(json.loads(listing.next_token)) == {graph_peer.root_folder_id()}

    # A folder the user stops choosing is left out, which says nothing of its contacts.
    other = graph_peer.add_folder("Other")
    graph_peer.add_contact({"givenName": "Other"}, other)
    ctx, _ = app_context(graph_peer, folder_ids=[graph_peer.root_folder_id(), other])
    token = graph.GraphContactsAdapter(ctx).list_changes(None).next_token
    ctx, _ = app_context(graph_peer, folder_ids=[graph_peer.root_folder_id()])
    listing = graph.GraphContactsAdapter(ctx).list_changes(token)
    assert not listing.complete and listing.items == []
    assert set(json.loads(listing.next_token)) == {graph_peer.root_folder_id()}
    # No folder chosen: nothing is read.
    ctx, _ = app_context(graph_peer, folder_ids=[])
    before = len(graph_peer.requests_to("GET", r".*/delta"))
    listing = graph.GraphContactsAdapter(ctx).list_changes(None)
    assert listing.items == [] and len(graph_peer.requests_to("GET", r".*/delta")) == before


def test_identity_platform_outages_are_transient(graph_peer):
    ctx, _ = app_context(graph_peer)
    graph_peer.inject("GET", r".*/openid-configuration", status=503,
                      json={"error": "temporarily_unavailable"})
    with pytest.raises(Transient):
        graph.check_credentials(ctx)
    graph_peer.inject("POST", r".*/oauth2/v2\.0/token", status=503, json={
        "error": "temporarily_unavailable",
        "error_description": "AADSTS50196: The server terminated an operation because it "
                             "encountered a client request loop."})
    with pytest.raises(Transient, match="unavailable.*503"):
        graph.check_credentials(ctx)
    ctx.settings["authority_host"] = "https://127.0.0.1:9"  # nothing listens there
    with pytest.raises(Transient, match="could not be reached"):
        graph.check_credentials(ctx)
    assert graph.check_credentials(app_context(graph_peer)[0])["mailbox"] == ANN


def test_wrong_settings_fail_the_first_call_not_the_construction(graph_peer):
    ctx, _ = app_context(graph_peer, auth_flow="password")
    adapter = graph.GraphContactsAdapter(ctx)
    with pytest.raises(AuthFailed, match="Unknown sign-in method"):
        adapter.list_changes(None)
    ctx, _ = app_context(graph_peer)
    ctx.login = None
    adapter = graph.GraphContactsAdapter(ctx)
    with pytest.raises(AuthFailed, match="mailbox address"):
        adapter.check()
    ctx, _ = app_context(graph_peer, tenant="")
    with pytest.raises(AuthFailed, match="tenant"):
        graph.GraphContactsAdapter(ctx).list_changes(None)
