"""The test provider: plain Python, speaking tests/peers/contacts.py's protocol with
crm_sync_base's HTTP client, registered like any connector's."""

from datetime import datetime

from odoo.addons.crm_sync_base.engine import registry
from odoo.addons.crm_sync_base.engine.adapter import (
    AuthExpired,
    AuthFailed,
    BaseAdapter,
    ItemRejected,
    Listing,
    RemoteItem,
)
from odoo.addons.crm_sync_base.engine.mapper import CategoryScopedPartnerMapper, RecordMapper
from odoo.addons.crm_sync_base.utils.http import JsonHttpClient

PAGE_SIZE = 1000


class ContactsClient(JsonHttpClient):
    def __init__(self, context):
        super().__init__(context.endpoint, timeout=context.timeout)
        self.context = context

    def headers(self):
        # The account form's password doubles as the API token of this provider.
        credentials = self.context.credentials
        token = credentials.get("access_token") or credentials.get("password") or ""
        return {"Authorization": f"Bearer {token}"}


class TestContactsAdapter(BaseAdapter):
    def __init__(self, context):
        super().__init__(context)
        self.client = ContactsClient(context)

    @staticmethod
    def _item(raw):
        if raw.get("deleted"):
            return RemoteItem(raw["id"], deleted=True)
        updated = raw.get("updated")
        return RemoteItem(
            remote_id=raw["id"], version=raw.get("etag"), values=raw.get("data") or {},
            modified=datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
            local_tag=raw.get("tag"))

    def check(self):
        return self.client.json("GET", "/me")

    def list_changes(self, token):
        items, params = [], {"page_size": PAGE_SIZE}
        if token:
            params["sync_token"] = token
        while True:
            page = self.client.json("GET", "/contacts", params=params, expect_token=True)
            items += [self._item(raw) for raw in page.get("items", [])]
            if not page.get("next_page_token"):
                return Listing(items, page.get("next_sync_token"), complete=not token,
                               clock_offset=self.client.last_clock_offset)
            params["page_token"] = page["next_page_token"]

    def create(self, values, local_tag):
        raw = self.client.json("POST", "/contacts", json={"data": values, "tag": local_tag})
        return raw["id"], raw.get("etag"), raw.get("data")

    def update(self, remote_id, values, if_match):
        headers = {"If-Match": if_match} if if_match else {}
        raw = self.client.json("PUT", f"/contacts/{remote_id}", json={"data": values},
                               headers=headers)
        return raw.get("etag"), raw.get("data")

    def delete(self, remote_id, if_match):
        headers = {"If-Match": if_match} if if_match else {}
        self.client.json("DELETE", f"/contacts/{remote_id}", headers=headers)

    def find_by_tag(self, local_tag):
        items = self.client.json("GET", "/contacts", params={"tag": local_tag}).get("items")
        return self._item(items[0]) if items else None

    def refresh_auth(self):
        refresh_token = self.context.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthFailed("no refresh token is stored")
        try:
            answer = self.client.json("POST", "/token", data={
                "grant_type": "refresh_token", "refresh_token": refresh_token})
        except (ItemRejected, AuthExpired) as exc:
            raise AuthFailed(f"the refresh token was refused ({exc})")
        fresh = {"access_token": answer["access_token"]}
        if answer.get("refresh_token"):
            fresh["refresh_token"] = answer["refresh_token"]  # rotated: keep the new one
        self.context.credentials.update(fresh)
        self.context.save_credentials(fresh)


class TestPartnerMapper(CategoryScopedPartnerMapper):
    kind = "contacts"
    model = "res.partner"
    fields = ("name", "email", "phone", "comment", "category_id")

    def to_canonical(self, values):
        return {"name": values.get("name") or "", "email": values.get("email") or "",
                "phone": values.get("phone") or "",
                "note": _html_to_text(values.get("comment"))}

    def to_odoo(self, canonical):
        # No name stays no name: Odoo refuses such a contact, which tests use as an
        # item that fails alone.
        return {"name": canonical.get("name") or False,
                "email": canonical.get("email") or False,
                "phone": canonical.get("phone") or False,
                "comment": canonical.get("note") or False}


def _html_to_text(value):
    if not value:
        return ""
    from odoo.tools import html2plaintext
    return html2plaintext(str(value)).strip()


class TestEventMapper(RecordMapper):
    """Declared so the tests can check change tracking on calendar.event; the test
    provider has no events adapter, so accounts never sync this kind."""

    kind = "events"
    model = "calendar.event"
    fields = ("name", "start", "stop", "location")


class TestActivityMapper(RecordMapper):
    kind = "tasks"
    model = "mail.activity"
    fields = ("summary", "date_deadline", "note")


PROVIDER = registry.register(registry.Provider(
    key="test", label="Test provider",
    adapters={"contacts": TestContactsAdapter},
    mappers={"contacts": TestPartnerMapper(), "events": TestEventMapper(),
             "tasks": TestActivityMapper()},
    default_endpoint="http://127.0.0.1:9",
))
