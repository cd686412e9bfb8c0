"""Google Contacts through the People API v1, group based (seed 001).

Only the contacts of one contact group are synced. A listing reports a member as an
item, a contact that left the group (or was deleted) as a deletion, so that the engine
takes it out of the Odoo category and deletes nothing. Contacts we create carry our tag
in ``clientData``, so a create whose answer was lost is found again, never duplicated.
"""

from __future__ import annotations

from datetime import datetime

from odoo.addons.crm_sync_base.engine.adapter import (
    BaseAdapter,
    ItemRejected,
    Listing,
    NotFound,
    RemoteItem,
    VersionConflict,
)

from .google_client import PEOPLE_ENDPOINT, session_for

TAG_KEY = "crm_sync_odoo_tag"  # our own key: never Odoo google_* modules' keys
MY_CONTACTS = "contactGroups/myContacts"
PAGE_SIZE = 1000  # the API's maximum
GROUP_PAGE_SIZE = 1000
BATCH_CREATE_SIZE = 200  # batchCreateContacts' limit
BATCH_UPDATE_SIZE = 200  # people:batchGet's and batchUpdateContacts' limit
MEMBERS_MODIFY_SIZE = 1000  # contactGroups.members.modify's limit (both lists together)
# What each configurable part of a contact reads and writes in Google.
FIELD_GROUPS = {
    "emails": ("emailAddresses",),
    "phones": ("phoneNumbers",),
    "addresses": ("addresses",),
    "organization": ("organizations",),
    "notes": ("biographies",),
}
ALL_PARTS = tuple(FIELD_GROUPS)


def person_fields(parts) -> str:
    fields = ["names", "memberships", "metadata", "clientData"]
    for part in parts:
        fields += FIELD_GROUPS[part]
    return ",".join(fields)


def _first(person, key):
    values = person.get(key) or []
    primary = next((v for v in values if (v.get("metadata") or {}).get("primary")), None)
    return primary or (values[0] if values else {})


def person_to_canonical(person: dict, parts) -> dict:
    """A People API person -> our canonical contact (only the synced parts)."""
    name = _first(person, "names")
    values = {"name": (name.get("unstructuredName") or name.get("displayName") or " ".join(
        p for p in (name.get("givenName"), name.get("familyName")) if p) or "").strip()}
    if "emails" in parts:
        values["email"] = (_first(person, "emailAddresses").get("value") or "").strip()
    if "phones" in parts:
        phones = person.get("phoneNumbers") or []
        mobile = next((p for p in phones if p.get("type") == "mobile"), {})
        other = next((p for p in phones if p.get("type") != "mobile"), {})
        values["phone"] = (other.get("value") or "").strip()
        values["mobile"] = (mobile.get("value") or "").strip()
    if "addresses" in parts:
        address = _first(person, "addresses")
        values.update(
            street=(address.get("streetAddress") or "").strip(),
            street2=(address.get("extendedAddress") or "").strip(),
            city=(address.get("city") or "").strip(),
            zip=(address.get("postalCode") or "").strip(),
            country=(address.get("countryCode") or "").strip().upper())
    if "organization" in parts:
        org = _first(person, "organizations")
        values["company"] = (org.get("name") or "").strip()
        values["function"] = (org.get("title") or "").strip()
    if "notes" in parts:
        values["note"] = (_first(person, "biographies").get("value") or "").strip()
    return values


def _replace_first(existing, new_first, same_kind=lambda v: True):
    """Our one value replaces the first matching one; Google's other values stay."""
    existing = [dict(v) for v in existing or [] if isinstance(v, dict)]
    index = next((i for i, v in enumerate(existing) if same_kind(v)), None)
    if new_first is None:
        if index is not None:
            del existing[index]
        return existing
    if index is None:
        return [new_first, *existing]
    merged = dict(existing[index], **new_first)
    merged.pop("metadata", None)
    existing[index] = merged
    return existing


def canonical_to_person(values: dict, parts, current: dict | None = None) -> dict:
    """Our canonical contact -> the person fields to write. With ``current`` (the person
    as read), values we do not sync (a second e-mail, a home phone...) are kept."""
    current = current or {}
    person = {"names": [{"unstructuredName": values.get("name") or ""}]}
    if "emails" in parts:
        email = values.get("email")
        person["emailAddresses"] = _replace_first(
            current.get("emailAddresses"), {"value": email} if email else None)
    if "phones" in parts:
        phones = _replace_first(current.get("phoneNumbers"),
                                {"value": values["phone"]} if values.get("phone") else None,
                                lambda v: v.get("type") != "mobile")
        phones = _replace_first(phones, {"value": values["mobile"], "type": "mobile"}
                                if values.get("mobile") else None,
                                lambda v: v.get("type") == "mobile")
        person["phoneNumbers"] = phones
    if "addresses" in parts:
        keys = ("street", "street2", "city", "zip", "country")
        address = {"streetAddress": values.get("street") or "",
                   "extendedAddress": values.get("street2") or "",
                   "city": values.get("city") or "", "postalCode": values.get("zip") or "",
                   "countryCode": values.get("country") or ""}
        address = {k: v for k, v in address.items() if v}
        person["addresses"] = _replace_first(
            current.get("addresses"), address if any(values.get(k) for k in keys) else None)
    if "organization" in parts:
        org = {k: v for k, v in (("name", values.get("company")),
                                 ("title", values.get("function"))) if v}
        person["organizations"] = _replace_first(current.get("organizations"), org or None)
    if "notes" in parts:
        note = values.get("note")
        person["biographies"] = [{"value": note, "contentType": "TEXT_PLAIN"}] if note else []
    return {k: v for k, v in person.items() if v or k in ("emailAddresses", "phoneNumbers",
                                                           "addresses", "organizations",
                                                           "biographies")}


def _modified(person: dict):
    times = [s.get("updateTime") for s in (person.get("metadata") or {}).get("sources", [])
             if s.get("updateTime")]
    if not times:
        return None
    try:
        return datetime.fromisoformat(max(times).replace("Z", "+00:00"))
    except ValueError:
        return None


def _tag(person: dict):
    return next((d.get("value") for d in person.get("clientData") or []
                 if d.get("key") == TAG_KEY), None)


def _groups(person: dict) -> set:
    return {m["contactGroupMembership"].get("contactGroupResourceName")
            for m in person.get("memberships") or [] if "contactGroupMembership" in m}


class GooglePeopleAdapter(BaseAdapter):
    """Contacts of one Google contact group."""

    def __init__(self, context, session=None):
        super().__init__(context)
        self.session = session or session_for(context)
        settings = context.settings
        self.parts = tuple(p for p in ALL_PARTS if settings.get(f"google_sync_{p}", True))
        self.group_name = settings.get("google_group_name") or "Odoo"
        # One endpoint serves both APIs when it is set (a private endpoint, the peer).
        endpoint = context.endpoint or PEOPLE_ENDPOINT
        self.people = self.session.service("people", "v1", endpoint)
        self._group = None
        self._tagged = None

    # -- the group ---------------------------------------------------------------------

    def group(self) -> str:
        """The resource name of our group, created at the first sync (seed 001)."""
        if self._group:
            return self._group
        request = self.people.contactGroups().list(pageSize=GROUP_PAGE_SIZE,
                                                   groupFields="name,groupType")
        while request is not None:
            page = self.session.execute(request)
            for group in page.get("contactGroups", []):
                if (group.get("groupType") == "USER_CONTACT_GROUP"
                        and group.get("name") == self.group_name):
                    self._group = group["resourceName"]
                    return self._group
            request = self.people.contactGroups().list_next(request, page)
        created = self.session.execute(self.people.contactGroups().create(
            body={"contactGroup": {"name": self.group_name}}))
        self._group = created["resourceName"]
        return self._group

    # -- the protocol ------------------------------------------------------------------

    def check(self):
        me = self.session.execute(self.people.people().get(
            resourceName="people/me", personFields="emailAddresses,names"))
        return {"email": _first(me, "emailAddresses").get("value")}

    def _item(self, person, group, incremental):
        rn = person["resourceName"]
        previous = tuple((person.get("metadata") or {}).get("previousResourceNames") or ())
        if (person.get("metadata") or {}).get("deleted") or group not in _groups(person):
            # Deleted, or taken out of our group: in an incremental listing this is a
            # deletion for the engine (unlink only); a full listing just leaves it out.
            return RemoteItem(rn, deleted=True, previous_ids=previous) if incremental else None
        return RemoteItem(rn, version=person.get("etag"),
                          values=person_to_canonical(person, self.parts),
                          modified=_modified(person), local_tag=_tag(person),
                          previous_ids=previous)

    def list_changes(self, token):
        group = self.group()
        params = {"resourceName": "people/me", "personFields": person_fields(self.parts),
                  "pageSize": PAGE_SIZE, "requestSyncToken": True}
        if token:
            params["syncToken"] = token
        connections = self.people.people().connections()
        request = connections.list(**params)
        items, next_token = [], None
        while request is not None:
            page = self.session.execute(request)
            for person in page.get("connections", []):
                item = self._item(person, group, bool(token))
                if item is not None:
                    items.append(item)
            next_token = page.get("nextSyncToken") or next_token
            request = connections.list_next(request, page)
        return Listing(items, next_token, complete=not token)

    def _read(self, remote_id):
        return self.session.execute(self.people.people().get(
            resourceName=remote_id, personFields=person_fields(self.parts)))

    def create(self, values, local_tag):
        person = canonical_to_person(values, self.parts)
        person["memberships"] = [
            {"contactGroupMembership": {"contactGroupResourceName": g}}
            for g in (MY_CONTACTS, self.group())]
        person["clientData"] = [{"key": TAG_KEY, "value": local_tag}]
        created = self.session.execute(self.people.people().createContact(
            body=person, personFields=person_fields(self.parts)))
        return (created["resourceName"], created.get("etag"),
                person_to_canonical(created, self.parts))

    def create_many(self, items):
        """batchCreateContacts, up to 200 contacts a call (the API's limit)."""
        results = []
        for start in range(0, len(items), BATCH_CREATE_SIZE):
            chunk = items[start:start + BATCH_CREATE_SIZE]
            contacts = []
            for values, local_tag in chunk:
                person = canonical_to_person(values, self.parts)
                person["memberships"] = [
                    {"contactGroupMembership": {"contactGroupResourceName": g}}
                    for g in (MY_CONTACTS, self.group())]
                person["clientData"] = [{"key": TAG_KEY, "value": local_tag}]
                contacts.append({"contactPerson": person})
            answer = self.session.execute(self.people.people().batchCreateContacts(
                body={"contacts": contacts, "readMask": person_fields(self.parts)}))
            created = answer.get("createdPeople") or []
            for index in range(len(chunk)):
                response = created[index] if index < len(created) else {}
                person = response.get("person") or {}
                status = response.get("httpStatusCode", 200)
                if status != 200 or not person.get("resourceName"):
                    message = (response.get("status") or {}).get("message") or "not created"
                    results.append(ItemRejected(f"Google refused the contact: {message}"))
                else:
                    results.append((person["resourceName"], person.get("etag"),
                                     person_to_canonical(person, self.parts)))
        return results

    def _update_mask(self):
        return ",".join(["names", *(f for p in self.parts for f in FIELD_GROUPS[p])])

    def _person_update(self, current, values, if_match):
        """The person to send for an update, built on the person as read so values we
        do not sync survive; refused when it changed since we listed it."""
        if if_match and current.get("etag") != if_match:
            raise VersionConflict("the contact changed in Google since it was listed")
        person = canonical_to_person(values, self.parts, current)
        person["etag"] = current.get("etag")
        person["metadata"] = {"sources": [
            {k: s.get(k) for k in ("type", "id", "etag")}
            for s in (current.get("metadata") or {}).get("sources", [])]}
        return person

    def update(self, remote_id, values, if_match):
        # updateContact replaces every listed field: read the contact first.
        person = self._person_update(self._read(remote_id), values, if_match)
        updated = self.session.execute(self.people.people().updateContact(
            resourceName=remote_id, body=person, updatePersonFields=self._update_mask(),
            personFields=person_fields(self.parts)))
        return updated.get("etag"), person_to_canonical(updated, self.parts)

    def update_many(self, items):
        """people:batchGet then batchUpdateContacts, up to 200 contacts a call: two
        requests instead of two per contact. A contact that is gone or changed since
        the listing fails alone, before the write. When one etag went stale in between,
        Google refuses the whole batchUpdateContacts (400 FAILED_PRECONDITION): that
        VersionConflict reaches the runner, which sends the batch one by one."""
        results = []
        fields = person_fields(self.parts)
        for start in range(0, len(items), BATCH_UPDATE_SIZE):
            chunk = items[start:start + BATCH_UPDATE_SIZE]
            answer = self.session.execute(self.people.people().getBatchGet(
                resourceNames=[rn for rn, _values, _if_match in chunk], personFields=fields))
            read = {}
            for response in answer.get("responses") or []:
                person = response.get("person") or {}
                status = response.get("httpStatusCode") or (
                    response.get("status") or {}).get("code") or 200
                if person.get("resourceName") and status in (0, 200):
                    read[response.get("requestedResourceName")
                         or person["resourceName"]] = person
            outcome, contacts = {}, {}
            for rn, values, if_match in chunk:
                current = read.get(rn)
                if current is None or (current.get("metadata") or {}).get("deleted"):
                    outcome[rn] = NotFound("Google answered 404: the contact is gone")
                    continue
                try:
                    contacts[rn] = self._person_update(current, values, if_match)
                except VersionConflict as exc:
                    outcome[rn] = exc
            if contacts:
                answer = self.session.execute(self.people.people().batchUpdateContacts(
                    body={"contacts": contacts, "updateMask": self._update_mask(),
                          "readMask": fields}))
                updated = answer.get("updateResult") or {}
                for rn in contacts:
                    response = updated.get(rn) or {}
                    person = response.get("person") or {}
                    if response.get("httpStatusCode", 200) != 200 or not person:
                        message = (response.get("status") or {}).get("message") or \
                            "not updated"
                        outcome[rn] = ItemRejected(f"Google refused the contact: {message}")
                    else:
                        outcome[rn] = (person.get("etag"),
                                       person_to_canonical(person, self.parts))
            results += [outcome[rn] for rn, _values, _if_match in chunk]
        return results

    def delete(self, remote_id, if_match):
        self.session.execute(self.people.people().deleteContact(resourceName=remote_id))

    def release(self, remote_id, if_match):
        """Take the contact out of our group; it stays in Google (seed 001)."""
        group = self.group()
        modify = self.people.contactGroups().members().modify
        answer = self.session.execute(modify(
            resourceName=group, body={"resourceNamesToRemove": [remote_id]}))
        if remote_id in answer.get("canNotRemoveLastContactGroupResourceNames", []):
            # A contact keeps at least one group: file it under "My Contacts" first.
            self.session.execute(self.people.contactGroups().members().modify(
                resourceName=MY_CONTACTS, body={"resourceNamesToAdd": [remote_id]}))
            answer = self.session.execute(modify(
                resourceName=group, body={"resourceNamesToRemove": [remote_id]}))
            if remote_id in answer.get("canNotRemoveLastContactGroupResourceNames", []):
                raise ItemRejected("Google keeps the contact in the group: it has no other "
                                   "group to stay in")

    def release_many(self, items):
        """Take contacts out of our group, up to 1000 a members:modify call. Those that
        have no other group are filed under "My Contacts" first, in one more call."""
        group = self.group()
        members = self.people.contactGroups().members()
        results = []
        for start in range(0, len(items), MEMBERS_MODIFY_SIZE):
            names = [rn for rn, _if_match in items[start:start + MEMBERS_MODIFY_SIZE]]
            answer = self.session.execute(members.modify(
                resourceName=group, body={"resourceNamesToRemove": names}))
            stuck = answer.get("canNotRemoveLastContactGroupResourceNames") or []
            if stuck:
                self.session.execute(members.modify(
                    resourceName=MY_CONTACTS, body={"resourceNamesToAdd": stuck}))
                answer = self.session.execute(members.modify(
                    resourceName=group, body={"resourceNamesToRemove": stuck}))
                stuck = answer.get("canNotRemoveLastContactGroupResourceNames") or []
            for rn in names:
                results.append(ItemRejected(
                    "Google keeps the contact in the group: it has no other group to "
                    "stay in") if rn in stuck else None)
        return results

    def find_by_tag(self, local_tag):
        """The contact carrying our tag (a create whose answer was lost). The People API
        cannot search clientData, so the first call of a run reads every contact once."""
        if self._tagged is None:
            self._tagged = {}
            group = self.group()
            connections = self.people.people().connections()
            request = connections.list(resourceName="people/me", pageSize=PAGE_SIZE,
                                       personFields=person_fields(self.parts))
            while request is not None:
                page = self.session.execute(request)
                for person in page.get("connections", []):
                    tag = _tag(person)
                    if tag:
                        self._tagged[tag] = self._item(person, group, False)
                request = connections.list_next(request, page)
        return self._tagged.get(local_tag)

    def refresh_auth(self):
        self.session.refresh()
