"""Exchange Server (2016, 2019, Subscription Edition) contacts through EWS with exchangelib.

Plain Python: takes an AccountContext, returns canonical dicts (see utils/mapping.py and
the contract in the module docstring of utils/__init__.py). Nothing here touches Odoo.

- Incremental listing: one SyncFolderItems state per synced folder; the sync token is a
  JSON object {folder id: SyncState}.
- Every update carries the changekey we last saw and NeverOverwrite: a contact edited in
  Outlook meanwhile is ErrorIrresolvableConflict -> VersionConflict, never overwritten.
- Every create carries our tag in a named MAPI property, so that a create whose answer
  was lost is found again (``find_by_tag``) instead of being sent twice.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from datetime import datetime

import requests
from exchangelib import BASIC, DELEGATE, NTLM, Account, Configuration, Contact, Credentials
from exchangelib import errors as ews_errors
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import ID_ONLY, MOVE_TO_DELETED_ITEMS, NEVER_OVERWRITE
from exchangelib.properties import ItemId
from exchangelib.protocol import BaseProtocol, FailFast
from exchangelib.services import SyncFolderItems

from odoo.addons.crm_sync_base.engine.adapter import (
    AuthFailed,
    BaseAdapter,
    ItemRejected,
    Listing,
    NotFound,
    RateLimited,
    RemoteItem,
    SyncError,
    TokenInvalid,
    Transient,
    VersionConflict,
)

from .mapping import empty_contact, normalize_contact

_logger = logging.getLogger(__name__)

TAG_PROPERTY_SET = "e9985c97-2c4e-4dd6-80f0-5ab67799407d"
TAG_PROPERTY_NAME = "CrmSyncLocalTag"
TAG_FIELD = "crm_sync_local_tag"
CONTACT_CLASS = "IPF.Contact"  # "IPF.Contact.RecipientCache" and alike are not lists
SYNC_PAGE = 512  # EWS's maximum MaxChangesReturned
PHONE_LABELS = {"business_phone": "BusinessPhone", "mobile_phone": "MobilePhone",
                "home_phone": "HomePhone"}
ADDRESS_LABELS = {"business_address": "Business", "home_address": "Home"}
ADDRESS_PARTS = {"street": "street", "city": "city", "state": "state",
                 "postal_code": "zipcode", "country": "country"}
EMAIL_LABELS = ("EmailAddress1", "EmailAddress2", "EmailAddress3")
READ_FIELDS = ("given_name", "surname", "display_name", "company_name", "job_title", "body",
               "email_addresses", "phone_numbers", "physical_addresses", "categories",
               "last_modified_time", TAG_FIELD)
WRITE_FIELDS = ("given_name", "surname", "display_name", "company_name", "job_title", "body",
                "email_addresses", "phone_numbers", "physical_addresses", "categories",
                "file_as")


class CrmSyncLocalTag(ExtendedProperty):
    """Our record's tag on the contacts we create (shared with utils/graph.py)."""

    property_set_id = TAG_PROPERTY_SET
    property_name = TAG_PROPERTY_NAME
    property_type = "String"


def _register_tag_property():
    if TAG_FIELD not in {f.name for f in Contact.FIELDS}:
        Contact.register(TAG_FIELD, CrmSyncLocalTag)


_register_tag_property()


class _LargeChunkResponse(requests.Response):
    """exchangelib parses answers through ``iter_content()``, whose default chunk is one
    byte: a 2 MB SyncFolderItems page became two million Python iterations. Same bytes,
    64 KiB at a time."""

    def iter_content(self, chunk_size=1, decode_unicode=False):
        if chunk_size is not None and chunk_size < 65536:
            chunk_size = 65536
        return super().iter_content(chunk_size=chunk_size, decode_unicode=decode_unicode)


def _install_large_chunks():
    base = BaseProtocol.HTTP_ADAPTER_CLS
    if getattr(base, "crm_large_chunks", False):
        return

    class LargeChunkAdapter(base):
        crm_large_chunks = True

        def build_response(self, req, resp):
            response = super().build_response(req, resp)
            response.__class__ = _LargeChunkResponse
            return response

    # Process-wide (exchangelib has no per-account hook); it changes only the chunking.
    BaseProtocol.HTTP_ADAPTER_CLS = LargeChunkAdapter


_install_large_chunks()


# ---------------------------------------------------------------------- connection

def connect(ctx) -> Account:
    """An exchangelib Account for the context: a given EWS URL, or autodiscover."""
    settings = ctx.settings or {}
    password = (ctx.credentials or {}).get("password")
    if not ctx.login or not password:
        raise AuthFailed("Enter the mailbox e-mail address and the password.")
    credentials = Credentials(settings.get("username") or ctx.login, password)
    auth_type = {"basic": BASIC, "ntlm": NTLM}.get(settings.get("auth_type") or "")
    with translated():
        if ctx.endpoint:
            config = Configuration(service_endpoint=ctx.endpoint, credentials=credentials,
                                   auth_type=auth_type, retry_policy=FailFast())
            return Account(ctx.login, config=config, autodiscover=False,
                           access_type=DELEGATE)
        config = Configuration(credentials=credentials, auth_type=auth_type,
                               retry_policy=FailFast())
        return Account(ctx.login, config=config, autodiscover=True, access_type=DELEGATE)


@contextmanager
def translated():
    """exchangelib's and requests' exceptions -> crm_sync_base's typed errors, whose
    text is the server's own words."""
    try:
        yield
    except SyncError:
        raise
    except ews_errors.UnauthorizedError as exc:
        text = str(exc)
        if "locked" in text.lower():
            raise AuthFailed(f"Exchange refused the sign-in: the account is locked out "
                             f"({text}). Ask your Exchange administrator to unlock it.")
        raise AuthFailed(f"Exchange refused the user name or password ({text}).")
    except (ews_errors.ErrorAccessDenied, ews_errors.ErrorNonExistentMailbox,
            ews_errors.ErrorMailboxStoreUnavailable, ews_errors.ErrorImpersonateUserDenied,
            ews_errors.AutoDiscoverFailed) as exc:
        raise AuthFailed(f"{type(exc).__name__}: {exc}")
    except ews_errors.ErrorServerBusy as exc:
        raise RateLimited(f"Exchange is busy (ErrorServerBusy: {exc})",
                          retry_after=exc.back_off)
    except ews_errors.ErrorInvalidSyncStateData as exc:
        raise TokenInvalid(f"ErrorInvalidSyncStateData: {exc}")
    except ews_errors.ErrorIrresolvableConflict as exc:
        raise VersionConflict(f"ErrorIrresolvableConflict: {exc}")
    except (ews_errors.ErrorItemNotFound, ews_errors.ErrorFolderNotFound) as exc:
        raise NotFound(f"{type(exc).__name__}: {exc}")
    except (requests.exceptions.RequestException, ews_errors.TransportError,
            ews_errors.MalformedResponseError, ews_errors.RateLimitError,
            ews_errors.ErrorInternalServerTransientError, ews_errors.ErrorTimeoutExpired,
            ConnectionError, TimeoutError) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}")
    except ews_errors.ResponseMessageError as exc:
        raise ItemRejected(f"{type(exc).__name__}: {exc}")
    except ews_errors.EWSError as exc:
        raise Transient(f"{type(exc).__name__}: {exc}")


def _raise_item_error(result):
    """exchangelib returns per-item errors inside result lists: raise them typed."""
    if isinstance(result, Exception):
        with translated():
            raise result
    return result


def check_credentials(ctx) -> dict:
    """Sign in at once; {"mailbox", "display_name"} or AuthFailed with the reason."""
    try:
        account = connect(ctx)
        with translated():
            contacts = account.contacts
            mailbox = account.primary_smtp_address or ctx.login
            display_name = ""
            try:
                resolved = account.protocol.resolve_names([mailbox], return_full_contact_data=False)
                first = next(iter(resolved), None)
                display_name = getattr(first, "name", "") or ""
            except ews_errors.EWSError:
                display_name = ""  # resolving the name is a courtesy, not a check
    except (Transient, NotFound) as exc:
        raise AuthFailed(f"The Exchange server could not be reached or answered "
                         f"unexpectedly: {exc}")
    except RateLimited:
        raise
    if contacts is None:
        raise AuthFailed("The mailbox has no Contacts folder.")
    return {"mailbox": mailbox, "display_name": display_name, "login": mailbox}


def _contact_folders(account) -> list:
    """Every folder of class IPF.Contact in the mailbox, the default Contacts first."""
    with translated():
        default = account.contacts
        found = [default]
        for folder in account.msg_folder_root.walk():
            if folder.folder_class == CONTACT_CLASS and folder.id != default.id:
                found.append(folder)
    return found


def list_folders(ctx) -> list[dict]:
    """The mailbox's contact folder tree: [{"id", "name", "parent_id", "path"}]."""
    account = connect(ctx)
    folders = _contact_folders(account)
    by_id = {f.id: f for f in folders}
    out = []
    for folder in folders:
        parent = folder.parent_folder_id.id if folder.parent_folder_id else None
        names, cursor = [folder.name], parent
        while cursor in by_id:
            names.insert(0, by_id[cursor].name)
            parent_of = by_id[cursor].parent_folder_id
            cursor = parent_of.id if parent_of else None
        out.append({"id": folder.id, "name": folder.name,
                    "parent_id": parent if parent in by_id else None,
                    "path": "/".join(names)})
    return out


# ---------------------------------------------------------------------- mapping

def _text(value) -> str:
    return str(value).strip() if value else ""


def contact_to_canonical(contact) -> dict:
    values = empty_contact()
    values.update(
        given_name=_text(contact.given_name), surname=_text(contact.surname),
        display_name=_text(contact.display_name), company_name=_text(contact.company_name),
        job_title=_text(contact.job_title), notes=_text(contact.body),
        categories=sorted(_text(c) for c in contact.categories or () if _text(c)),
    )
    emails = {e.label: _text(e.email) for e in contact.email_addresses or ()}
    values["emails"] = [emails[label] for label in EMAIL_LABELS if emails.get(label)]
    phones = {p.label: _text(p.phone_number) for p in contact.phone_numbers or ()}
    for key, label in PHONE_LABELS.items():
        values[key] = phones.get(label, "")
    addresses = {a.label: a for a in contact.physical_addresses or ()}
    for key, label in ADDRESS_LABELS.items():
        address = addresses.get(label)
        if address is not None:
            values[key] = {part: _text(getattr(address, attr))
                           for part, attr in ADDRESS_PARTS.items()}
    return normalize_contact(values)


T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
ADDRESS_ELEMENTS = {"street": "Street", "city": "City", "state": "State",
                    "postal_code": "PostalCode", "country": "CountryOrRegion"}


def _element_text(elem) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def element_to_canonical(elem) -> dict:
    """A t:Contact element of a SyncFolderItems answer -> the canonical dict, reading
    only the mapped elements (what contact_to_canonical reads from exchangelib's
    objects, ten times faster than building them)."""
    values = empty_contact()
    for key, tag in (("given_name", "GivenName"), ("surname", "Surname"),
                     ("display_name", "DisplayName"), ("company_name", "CompanyName"),
                     ("job_title", "JobTitle")):
        values[key] = _element_text(elem.find(T + tag))
    body = elem.find(T + "Body")
    if body is not None and body.text:
        text = body.text
        if body.get("BodyType") == "HTML":
            import lxml.html
            text = lxml.html.fromstring(text).text_content()
        values["notes"] = text.strip()
    values["categories"] = sorted(t for t in (_element_text(s) for s in elem.iterfind(
        f"{T}Categories/{T}String")) if t)
    emails = {e.get("Key"): _element_text(e) for e in elem.iterfind(
        f"{T}EmailAddresses/{T}Entry")}
    values["emails"] = [emails[label] for label in EMAIL_LABELS if emails.get(label)]
    phones = {e.get("Key"): _element_text(e) for e in elem.iterfind(
        f"{T}PhoneNumbers/{T}Entry")}
    for key, label in PHONE_LABELS.items():
        values[key] = phones.get(label, "")
    addresses = {e.get("Key"): e for e in elem.iterfind(f"{T}PhysicalAddresses/{T}Entry")}
    for key, label in ADDRESS_LABELS.items():
        entry = addresses.get(label)
        if entry is not None:
            values[key] = {part: _element_text(entry.find(T + tag))
                           for part, tag in ADDRESS_ELEMENTS.items()}
    return normalize_contact(values)


def _element_tag(elem) -> str | None:
    for prop in elem.iterfind(f"{T}ExtendedProperty"):
        uri = prop.find(f"{T}ExtendedFieldURI")
        if uri is not None and uri.get("PropertyName") == TAG_PROPERTY_NAME and (
                uri.get("PropertySetId") or "").lower() == TAG_PROPERTY_SET:
            return _element_text(prop.find(f"{T}Value")) or None
    return None


def _element_modified(elem):
    text = _element_text(elem.find(f"{T}LastModifiedTime"))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


class _RawSyncFolderItems(SyncFolderItems):
    """SyncFolderItems whose created / updated items stay XML elements (parsed by
    element_to_canonical); deletions and read flags as exchangelib gives them."""

    def _elem_to_obj(self, elem):
        change_type = self.change_types_map[elem.tag]
        if change_type in ("create", "update"):
            return change_type, elem[0]
        return super()._elem_to_obj(elem)


def sync_folder(account, folder, sync_state):
    """(changes, new state) of one folder since ``sync_state``, every page followed.
    The state is passed explicitly: exchangelib's folder.sync_items() would fall back to
    a dead ``folder.item_sync_state`` after ErrorInvalidSyncStateData (PROVIDERS 2.1b)."""
    additional = {f for f in folder.normalize_fields(fields=READ_FIELDS)
                  if not f.field.is_attribute}
    service = _RawSyncFolderItems(account=account)
    changes = []
    while True:
        for change in service.call(
                folder=folder, shape=ID_ONLY, additional_fields=additional,
                sync_state=sync_state, ignore=None, max_changes_returned=SYNC_PAGE,
                sync_scope=None):
            changes.append(_raise_item_error(change))
        if service.sync_state == sync_state or service.includes_last_item_in_range:
            break
        sync_state = service.sync_state
    return changes, service.sync_state


def _contact_fields(values: dict) -> dict:
    """Canonical dict -> exchangelib Contact attributes (None clears a field)."""
    phones = [PhoneNumber(label=label, phone_number=values[key])
              for key, label in PHONE_LABELS.items() if values.get(key)]
    addresses = []
    for key, label in ADDRESS_LABELS.items():
        address = values.get(key) or {}
        if any(address.values()):
            addresses.append(PhysicalAddress(label=label, **{
                attr: address.get(part) or None for part, attr in ADDRESS_PARTS.items()}))
    return {
        "given_name": values["given_name"] or None, "surname": values["surname"] or None,
        "display_name": values["display_name"], "file_as": values["display_name"],
        "company_name": values["company_name"] or None,
        "job_title": values["job_title"] or None, "body": values["notes"] or None,
        "email_addresses": [EmailAddress(label=label, email=email) for label, email
                            in zip(EMAIL_LABELS, values["emails"], strict=False)] or None,
        "phone_numbers": phones or None, "physical_addresses": addresses or None,
        "categories": list(values["categories"]) or None,
    }


# ---------------------------------------------------------------------- adapter

class EwsContactsAdapter(BaseAdapter):
    """The contacts of one Exchange mailbox, in the folders the account chose."""

    def __init__(self, context):
        super().__init__(context)
        self._account = None
        self._all_folders = None

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = connect(self.context)
        return self._account

    def check(self) -> dict:
        return check_credentials(self.context)

    # -- folders

    def _mailbox_folders(self) -> list:
        if self._all_folders is None:
            self._all_folders = _contact_folders(self.account)
        return self._all_folders

    def _sync_folders(self) -> list:
        """The folders to import from: the chosen ones that still exist, or every
        contact folder."""
        folders = self._mailbox_folders()
        chosen = (self.context.settings or {}).get("folder_ids")
        if chosen is not None:
            wanted = set(chosen)
            folders = [f for f in folders if f.id in wanted]
        return folders

    def _export_folder(self):
        wanted = (self.context.settings or {}).get("export_folder_id")
        if wanted:
            for folder in self._mailbox_folders():
                if folder.id == wanted:
                    return folder
            raise ItemRejected("The Exchange folder chosen for new contacts no longer exists; "
                               "choose another one in the account's Contacts tab.")
        with translated():
            return self.account.contacts

    # -- listing

    def list_changes(self, token: str | None) -> Listing:
        states = {}
        if token:
            try:
                states = json.loads(token)
                if not isinstance(states, dict):
                    raise ValueError(token)
            except ValueError:
                raise TokenInvalid("The stored Exchange sync state is unreadable.")
        folders = self._sync_folders()
        existing = {f.id for f in self._mailbox_folders()}
        if set(states) - existing:
            # A synced folder was deleted in Exchange: only a full listing of what remains
            # tells which of its contacts are gone (the engine's deletion policy and
            # mass-deletion guard then decide).
            _logger.info("Exchange: a synced folder is gone, listing every folder again")
            states = {}
        # A folder no longer chosen just stops being listed: its contacts stay as they are.
        complete = not states
        items, new_states = [], {}
        for folder in folders:
            state = states.get(folder.id)
            try:
                with translated():
                    changes, new_state = sync_folder(self.account, folder, state)
                for change, item in changes:
                    remote = self._remote_item(change, item)
                    if remote is not None:
                        items.append(remote)
                new_states[folder.id] = new_state
            except NotFound:
                # Deleted between the folder listing and its sync: it has nothing left.
                _logger.info("Exchange: folder %s vanished during the sync", folder.name)
                continue
        return Listing(items=items, next_token=json.dumps(new_states, sort_keys=True),
                       complete=complete)

    def _remote_item(self, change: str, item) -> RemoteItem | None:
        if change == "delete":
            return RemoteItem(remote_id=item.id, deleted=True)
        if change in ("create", "update") and not isinstance(item, Contact):
            if not hasattr(item, "tag") or item.tag != T + "Contact":
                return None  # distribution lists and other item types
            item_id = item.find(f"{T}ItemId")
            return RemoteItem(remote_id=item_id.get("Id"), version=item_id.get("ChangeKey"),
                              values=element_to_canonical(item),
                              modified=_element_modified(item), local_tag=_element_tag(item))
        if change not in ("create", "update"):
            return None  # read flags, distribution lists
        return RemoteItem(remote_id=item.id, version=item.changekey,
                          values=contact_to_canonical(item),
                          modified=item.last_modified_time,
                          local_tag=getattr(item, TAG_FIELD, None) or None)

    # -- writes

    def create(self, values: dict, local_tag: str):
        stored = normalize_contact(values)
        with translated():
            contact = Contact(account=self.account, folder=self._export_folder(),
                              **_contact_fields(stored), **{TAG_FIELD: local_tag})
            contact.save()
        return contact.id, contact.changekey, stored if stored != values else None

    def update(self, remote_id: str, values: dict, if_match: str | None):
        stored = normalize_contact(values)
        with translated():
            if not if_match:
                current = _raise_item_error(next(iter(self.account.fetch(
                    [ItemId(id=remote_id)], only_fields=["last_modified_time"]))))
                if_match = current.changekey
            contact = Contact(account=self.account, id=remote_id, changekey=if_match,
                              **_contact_fields(stored))
            contact.save(update_fields=list(WRITE_FIELDS), conflict_resolution=NEVER_OVERWRITE)
        return contact.changekey, stored if stored != values else None

    def delete(self, remote_id: str, if_match: str | None) -> None:
        with translated():
            # To Deleted Items, as Outlook does: a contact deleted by mistake in Odoo can
            # still be restored in Outlook.
            results = self.account.bulk_delete([(remote_id, None)],
                                               delete_type=MOVE_TO_DELETED_ITEMS)
            for result in results:
                _raise_item_error(result)

    def find_by_tag(self, local_tag: str) -> RemoteItem | None:
        for folder in [self._export_folder(), *self._sync_folders()]:
            with translated():
                found = list(folder.filter(**{TAG_FIELD: local_tag}).only(*READ_FIELDS))
            for item in found:
                if isinstance(item, Contact):
                    return self._remote_item("create", item)
        return None
