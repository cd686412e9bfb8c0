"""Exchange Web Services (EWS) of an Exchange Server 2016/2019/SE mailbox, as exchangelib
speaks it: SOAP 1.1 over HTTP POST to /EWS/Exchange.asmx.

Operations: ConvertId (only for exchangelib's version probe), GetFolder (one answer per
requested id, distinguished ids), FindFolder (Shallow/Deep, paged), FindItem (paged,
IsEqualTo/Contains/Exists/And/Or/Not restrictions on fields and extended properties),
GetItem, CreateItem, UpdateItem (changekeys; NeverOverwrite answers
ErrorIrresolvableConflict on a stale changekey), DeleteItem, SyncFolderItems (paging by
MaxChangesReturned, ErrorInvalidSyncStateData). Extended properties are kept per item
and returned only when asked for, as Exchange does.

Basic authentication (401 with ``WWW-Authenticate: Basic`` otherwise; a locked account
answers 401 with IIS's "The referenced account is currently locked out"). Every answer
carries the ServerVersionInfo header. Throttling is Exchange's ErrorServerBusy SOAP fault
with BackOffMilliseconds (``busy()``).

Errors follow https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/responsecode
"""

from __future__ import annotations

import base64
import copy
import itertools
import xml.etree.ElementTree as ET
from datetime import timezone

from .base import Fault, Peer, Request, Response, route

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
for _prefix, _uri in (("s", SOAP), ("m", M), ("t", T), ("e", E)):
    ET.register_namespace(_prefix, _uri)

MAILBOX = "user@example.com"
SERVER_VERSION = {"MajorVersion": "15", "MinorVersion": "1", "MajorBuildNumber": "2507",
                  "MinorBuildNumber": "6", "Version": "V2017_07_11"}

# Element order of t:Contact in the EWS schema (ItemType, then ContactItemType).
CONTACT_ORDER = [
    "ItemId", "ParentFolderId", "ItemClass", "Subject", "Sensitivity", "Body", "DateTimeReceived",
    "Size", "Categories", "Importance", "DateTimeSent", "DateTimeCreated", "ExtendedProperty",
    "Culture", "LastModifiedName", "LastModifiedTime", "FileAs", "FileAsMapping", "DisplayName",
    "GivenName", "Initials", "MiddleName", "Nickname", "CompleteName", "CompanyName",
    "EmailAddresses", "PhysicalAddresses", "PhoneNumbers", "AssistantName", "Birthday",
    "BusinessHomePage", "Children", "Companies", "ContactSource", "Department", "Generation",
    "ImAddresses", "JobTitle", "Manager", "Mileage", "OfficeLocation", "PostalAddressIndex",
    "Profession", "SpouseName", "Surname", "WeddingAnniversary",
]
INDEXED = {"contacts:EmailAddress": "EmailAddresses", "contacts:PhoneNumber": "PhoneNumbers",
           "contacts:ImAddress": "ImAddresses"}
ADDRESS_PARTS = ["Street", "City", "State", "CountryOrRegion", "PostalCode"]
COMPUTED = {"ItemId", "ParentFolderId", "ItemClass", "DateTimeCreated", "LastModifiedTime",
            "Size"}
FOLDER_ELEMENTS = {"IPF.Contact": "ContactsFolder", "IPF.Appointment": "CalendarFolder",
                   "IPF.Task": "TasksFolder"}
DISTINGUISHED = {
    "root": ("root", None, "", "IPF.Root"),  # id, parent, name, class
    "msgfolderroot": ("msgfolderroot", "root", "Top of Information Store", ""),
    "inbox": ("inbox", "msgfolderroot", "Inbox", "IPF.Note"),
    "calendar": ("calendar", "msgfolderroot", "Calendar", "IPF.Appointment"),
    "contacts": ("contacts", "msgfolderroot", "Contacts", "IPF.Contact"),
    "tasks": ("tasks", "msgfolderroot", "Tasks", "IPF.Task"),
    "deleteditems": ("deleteditems", "msgfolderroot", "Deleted Items", "IPF.Note"),
    "sentitems": ("sentitems", "msgfolderroot", "Sent Items", "IPF.Note"),
    "drafts": ("drafts", "msgfolderroot", "Drafts", "IPF.Note"),
}


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class EwsFault(Exception):
    """An error answered inside a ResponseMessage (ResponseClass="Error")."""

    def __init__(self, code: str, text: str):
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class EwsPeer(Peer):
    """One Exchange mailbox behind EWS. State helpers take the lock; see reset_state()."""

    path = "/EWS/Exchange.asmx"

    def __init__(self, mailbox: str = MAILBOX, password: str = "secret"):
        self.mailbox = mailbox
        self.password = password
        super().__init__()

    @property
    def service_url(self) -> str:
        return self.url + self.path

    def reset_state(self):
        self.users = {self.mailbox: self.password}
        self.locked: set[str] = set()
        self.display_name = "Test User"
        self._ids = itertools.count(1)
        self.seq = 0  # a change counter: sync states are positions in it
        self.state_epoch = 1  # bumping it makes every issued sync state invalid
        self.folders: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.tombstones: list[tuple[int, str, str, int]] = []  # seq, item id, folder, created
        self.busy_left = 0
        self.lost_answers: dict[str, int] = {}
        self.busy_back_off_ms = 0
        for fid, parent, name, klass in DISTINGUISHED.values():
            self.folders[fid] = {"id": fid, "parent": parent, "name": name, "class": klass,
                                 "changekey": "fk1"}
        # Exchange's own contact-type folder that is not a user's contact list.
        self.add_folder("Recipient Cache", parent="contacts", klass="IPF.Contact.RecipientCache")

    # ------------------------------------------------------------------ test helpers

    def _new_id(self, prefix: str) -> str:
        raw = f"{prefix}-{next(self._ids)}-{self.mailbox}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add_folder(self, name: str, parent: str = "contacts", klass: str = "IPF.Contact") -> str:
        with self.lock:
            fid = self._new_id("F")
            self.folders[fid] = {"id": fid, "parent": parent, "name": name, "class": klass,
                                 "changekey": "fk1"}
            return fid

    def delete_folder(self, folder_id: str) -> None:
        """Delete a folder with its subfolders and items (as from Outlook)."""
        with self.lock:
            doomed = {folder_id}
            changed = True
            while changed:
                changed = False
                for f in self.folders.values():
                    if f["parent"] in doomed and f["id"] not in doomed:
                        doomed.add(f["id"])
                        changed = True
            for fid in doomed:
                self.folders.pop(fid, None)
            for iid in [i for i, it in self.items.items() if it["folder"] in doomed]:
                del self.items[iid]

    def add_contact(self, folder: str = "contacts", **fields) -> str:
        """A contact as Outlook would create it. fields: given_name, surname, display_name,
        company_name, job_title, notes, emails (list), phones ({key: number}),
        addresses ({"Business": {"Street":..}}), categories (list), ext ({name: value})."""
        with self.lock:
            props = self._props_from_plain(fields)
            return self._store_new(folder, props, fields.get("ext") or {})

    def edit_contact(self, item_id: str, **fields) -> None:
        with self.lock:
            item = self.items[item_id]
            props = self._props_from_plain(fields)
            item["props"].update(props)
            self._touch(item)

    def remove_contact(self, item_id: str) -> None:
        with self.lock:
            self._delete_item(item_id)

    def contact(self, item_id: str) -> dict:
        """A stored contact as plain data (for assertions)."""
        with self.lock:
            return self._plain(self.items[item_id])

    def contacts(self, folder: str | None = None) -> list[dict]:
        with self.lock:
            return [self._plain(it) for it in self.items.values()
                    if folder is None or it["folder"] == folder]

    def expire_sync_states(self) -> None:
        """Every SyncState issued so far becomes ErrorInvalidSyncStateData."""
        with self.lock:
            self.state_epoch += 1

    def busy(self, times: int = 1, back_off_ms: int = 2000) -> None:
        """Answer the next ``times`` requests with ErrorServerBusy (EWS throttling)."""
        with self.lock:
            self.busy_left = times
            self.busy_back_off_ms = back_off_ms

    def lose_answer(self, operation: str, times: int = 1) -> None:
        """Carry out the next ``times`` requests of ``operation`` (e.g. "CreateItem"),
        then close the connection without an answer (a timeout on the client's side)."""
        with self.lock:
            self.lost_answers[operation] = times

    def _take_fault(self, method: str, path: str, **options) -> Fault | None:
        # Called under the lock right after the request was logged: its body is known.
        body = self.requests[-1].body if self.requests else b""
        for operation, left in self.lost_answers.items():
            if left and f"<m:{operation}".encode() in body:
                self.lost_answers[operation] = left - 1
                return Fault(method=None, path=None, lose_response=True)
        return super()._take_fault(method, path, **options)

    def lock_account(self, login: str | None = None) -> None:
        with self.lock:
            self.locked.add(login or self.mailbox)

    def operations(self) -> list[str]:
        """The EWS operation of every logged request, in order (e.g. "SyncFolderItems")."""
        names = []
        with self.lock:
            bodies = [r.body for r in self.requests]
        for body in bodies:
            try:
                body_elem = ET.fromstring(body).find(q(SOAP, "Body"))
                names.append(local(body_elem[0].tag) if body_elem is not None and len(body_elem)
                             else "")
            except ET.ParseError:
                names.append("")
        return names

    # ------------------------------------------------------------------ storage

    def _props_from_plain(self, fields: dict) -> dict:
        props = {}
        simple = {"given_name": "GivenName", "surname": "Surname", "display_name": "DisplayName",
                  "company_name": "CompanyName", "job_title": "JobTitle", "subject": "Subject"}
        for key, tag in simple.items():
            if key in fields:
                elem = ET.Element(q(T, tag))
                elem.text = fields[key]
                props[tag] = elem
        if "notes" in fields:
            body = ET.Element(q(T, "Body"), {"BodyType": "Text"})
            body.text = fields["notes"]
            props["Body"] = body
        if "categories" in fields:
            cats = ET.Element(q(T, "Categories"))
            for name in fields["categories"]:
                ET.SubElement(cats, q(T, "String")).text = name
            props["Categories"] = cats
        if "emails" in fields:
            container = ET.Element(q(T, "EmailAddresses"))
            for n, address in enumerate(fields["emails"][:3], start=1):
                ET.SubElement(container, q(T, "Entry"), {"Key": f"EmailAddress{n}"}).text = address
            props["EmailAddresses"] = container
        if "phones" in fields:
            container = ET.Element(q(T, "PhoneNumbers"))
            for key, number in fields["phones"].items():
                ET.SubElement(container, q(T, "Entry"), {"Key": key}).text = number
            props["PhoneNumbers"] = container
        if "addresses" in fields:
            container = ET.Element(q(T, "PhysicalAddresses"))
            for key, parts in fields["addresses"].items():
                entry = ET.SubElement(container, q(T, "Entry"), {"Key": key})
                for part in ADDRESS_PARTS:
                    if parts.get(part):
                        ET.SubElement(entry, q(T, part)).text = parts[part]
            props["PhysicalAddresses"] = container
        if "DisplayName" not in props and ("GivenName" in props or "Surname" in props):
            name = " ".join(filter(None, (fields.get("given_name"), fields.get("surname"))))
            props["DisplayName"] = ET.Element(q(T, "DisplayName"))
            props["DisplayName"].text = name
        return props

    def _store_new(self, folder: str, props: dict, ext: dict) -> str:
        if folder not in self.folders:
            raise EwsFault("ErrorFolderNotFound", "The specified folder could not be found in "
                                                  "the store.")
        iid = self._new_id("I")
        seq = self._next_seq()
        self.items[iid] = {
            "id": iid, "folder": folder, "props": props, "created": self.now(),
            "ext": {(k if isinstance(k, tuple) else (PROPERTY_SET_ID_DEFAULT, k)): v
                    for k, v in ext.items()},
            "seq": seq, "created_seq": seq, "changekey": f"CK{seq}", "modified": self.now(),
        }
        return iid

    def _touch(self, item: dict) -> None:
        item["seq"] = self._next_seq()
        item["changekey"] = f"CK{item['seq']}"
        item["modified"] = self.now()

    def _delete_item(self, iid: str) -> None:
        item = self.items.pop(iid)
        self.tombstones.append((self._next_seq(), iid, item["folder"], item["created_seq"]))

    def _plain(self, item: dict) -> dict:
        props = item["props"]

        def text(tag):
            elem = props.get(tag)
            return (elem.text or "") if elem is not None else ""

        def entries(tag):
            elem = props.get(tag)
            return {e.get("Key"): e for e in elem} if elem is not None else {}

        return {
            "id": item["id"], "changekey": item["changekey"], "folder": item["folder"],
            "given_name": text("GivenName"), "surname": text("Surname"),
            "display_name": text("DisplayName"), "company_name": text("CompanyName"),
            "job_title": text("JobTitle"), "notes": text("Body"),
            "categories": [s.text or "" for s in props.get("Categories", [])],
            "emails": {k: e.text or "" for k, e in entries("EmailAddresses").items()},
            "phones": {k: e.text or "" for k, e in entries("PhoneNumbers").items()},
            "addresses": {k: {local(p.tag): p.text or "" for p in e}
                          for k, e in entries("PhysicalAddresses").items()},
            "ext": {name: value for (_set, name), value in item["ext"].items()},
        }

    # ------------------------------------------------------------------ HTTP

    def before_request(self, request: Request) -> None:
        pass

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization") or ""
        challenge = {"WWW-Authenticate": 'Basic realm="127.0.0.1"'}
        if not header.startswith("Basic "):
            return Response(401, body=b"", headers=challenge)
        try:
            login, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return Response(401, body=b"", headers=challenge)
        login = login.split("\\")[-1]
        if login in self.locked:
            # What IIS answers for a locked-out Active Directory account.
            return Response(401, body=b"<html><body>401 - Unauthorized: The referenced "
                                      b"account is currently locked out and may not be "
                                      b"logged on to.</body></html>",
                            headers=dict(challenge, **{"Content-Type": "text/html"}))
        if self.users.get(login) != password or not password:
            return Response(401, body=b"", headers=challenge)
        return None

    @route("POST", r"/EWS/Exchange\.asmx")
    def soap(self, request: Request) -> Response:
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        try:
            envelope = ET.fromstring(request.body)
        except ET.ParseError as exc:
            return self._fault("ErrorSchemaValidation", f"The request failed schema "
                                                        f"validation: {exc}")
        body = envelope.find(q(SOAP, "Body"))
        if body is None or not len(body):
            return self._fault("ErrorInvalidRequest", "The request is invalid.")
        operation = body[0]
        name = local(operation.tag)
        if self.busy_left:
            self.busy_left -= 1
            return self._fault("ErrorServerBusy", "The server cannot service this request "
                               "right now. Try again later.", back_off=self.busy_back_off_ms)
        handler = getattr(self, f"op_{name}", None)
        if handler is None:
            return self._fault("ErrorInvalidRequest", f"The operation {name} is not supported.")
        messages = handler(operation)
        return self._envelope(name, messages)

    # ------------------------------------------------------------------ envelopes

    def _envelope(self, name: str, messages: list[ET.Element]) -> Response:
        env = ET.Element(q(SOAP, "Envelope"))
        header = ET.SubElement(env, q(SOAP, "Header"))
        ET.SubElement(header, q(T, "ServerVersionInfo"), SERVER_VERSION)
        body = ET.SubElement(env, q(SOAP, "Body"))
        resp = ET.SubElement(body, q(M, f"{name}Response"))
        container = ET.SubElement(resp, q(M, "ResponseMessages"))
        container.extend(messages)
        return Response(200, body=ET.tostring(env, xml_declaration=True, encoding="utf-8"),
                        headers={"Content-Type": "text/xml; charset=utf-8"})

    def _fault(self, code: str, text: str, back_off: int | None = None) -> Response:
        env = ET.Element(q(SOAP, "Envelope"))
        header = ET.SubElement(env, q(SOAP, "Header"))
        ET.SubElement(header, q(T, "ServerVersionInfo"), SERVER_VERSION)
        body = ET.SubElement(env, q(SOAP, "Body"))
        fault = ET.SubElement(body, q(SOAP, "Fault"))
        ET.SubElement(fault, "faultcode").text = "a:" + code
        ET.SubElement(fault, "faultstring").text = text
        detail = ET.SubElement(fault, "detail")
        ET.SubElement(detail, q(E, "ResponseCode")).text = code
        ET.SubElement(detail, q(E, "Message")).text = text
        if back_off is not None:
            xml = ET.SubElement(detail, q(T, "MessageXml"))
            ET.SubElement(xml, q(T, "Value"), {"Name": "BackOffMilliseconds"}).text = str(back_off)
        return Response(500, body=ET.tostring(env, xml_declaration=True, encoding="utf-8"),
                        headers={"Content-Type": "text/xml; charset=utf-8"})

    @staticmethod
    def _message(name: str, fault: EwsFault | None = None) -> ET.Element:
        msg = ET.Element(q(M, f"{name}ResponseMessage"),
                         {"ResponseClass": "Error" if fault else "Success"})
        if fault:
            ET.SubElement(msg, q(M, "MessageText")).text = fault.text
        ET.SubElement(msg, q(M, "ResponseCode")).text = fault.code if fault else "NoError"
        if fault:
            ET.SubElement(msg, q(M, "DescriptiveLinkKey")).text = "0"
        return msg

    # ------------------------------------------------------------------ folders

    def _folder_id(self, elem: ET.Element) -> str:
        if local(elem.tag) == "DistinguishedFolderId":
            fid = elem.get("Id")
            if fid not in DISTINGUISHED:
                raise EwsFault("ErrorFolderNotFound", "The specified folder could not be found "
                                                      "in the store.")
            return fid
        fid = elem.get("Id")
        if fid not in self.folders:
            raise EwsFault("ErrorFolderNotFound", "The specified folder could not be found in "
                                                  "the store.")
        return fid

    def _folder_elem(self, folder: dict) -> ET.Element:
        klass = folder["class"]
        tag = "ContactsFolder" if klass.startswith("IPF.Contact") else FOLDER_ELEMENTS.get(
            klass, "Folder")
        elem = ET.Element(q(T, tag))
        ET.SubElement(elem, q(T, "FolderId"), {"Id": folder["id"],
                                              "ChangeKey": folder["changekey"]})
        if folder["parent"]:
            ET.SubElement(elem, q(T, "ParentFolderId"), {"Id": folder["parent"],
                                                        "ChangeKey": "fk1"})
        if folder["class"]:
            ET.SubElement(elem, q(T, "FolderClass")).text = folder["class"]
        ET.SubElement(elem, q(T, "DisplayName")).text = folder["name"]
        ET.SubElement(elem, q(T, "TotalCount")).text = str(
            sum(1 for it in self.items.values() if it["folder"] == folder["id"]))
        ET.SubElement(elem, q(T, "ChildFolderCount")).text = str(
            sum(1 for f in self.folders.values() if f["parent"] == folder["id"]))
        if folder["class"] in ("", "IPF.Note", "IPF.Root"):
            ET.SubElement(elem, q(T, "UnreadCount")).text = "0"
        return elem

    def op_GetFolder(self, op: ET.Element) -> list[ET.Element]:
        out = []
        for ref in op.find(q(M, "FolderIds")):
            try:
                folder = self.folders[self._folder_id(ref)]
            except EwsFault as fault:
                out.append(self._message("GetFolder", fault))
                continue
            msg = self._message("GetFolder")
            ET.SubElement(msg, q(M, "Folders")).append(self._folder_elem(folder))
            out.append(msg)
        return out

    def _descendants(self, parent: str, deep: bool) -> list[dict]:
        found = []
        for folder in self.folders.values():
            if folder["parent"] == parent:
                found.append(folder)
                if deep:
                    found.extend(self._descendants(folder["id"], True))
        return found

    def _indexed_page(self, operation, op, view, tag, rows, render):
        """One FindFolder / FindItem answer: the page the Indexed*View asks for, with
        the offset of the next page and whether it is the last."""
        offset, size = self._paging(op, view)
        page = rows[offset:offset + size] if size else rows[offset:]
        last = offset + len(page) >= len(rows)
        msg = self._message(operation)
        root = ET.SubElement(msg, q(M, "RootFolder"), {
            "IndexedPagingOffset": str(offset + len(page)),
            "TotalItemsInView": str(len(rows)),
            "IncludesLastItemInRange": "true" if last else "false"})
        ET.SubElement(root, q(T, tag)).extend(render(row) for row in page)
        return msg

    @staticmethod
    def _paging(op: ET.Element, view_tag: str) -> tuple[int, int | None]:
        view = op.find(q(M, view_tag))
        if view is None:
            return 0, None
        size = view.get("MaxEntriesReturned")
        return int(view.get("Offset") or 0), int(size) if size else None

    def op_FindFolder(self, op: ET.Element) -> list[ET.Element]:
        deep = op.get("Traversal") == "Deep"
        out = []
        for ref in op.find(q(M, "ParentFolderIds")):
            try:
                parent = self._folder_id(ref)
            except EwsFault as fault:
                out.append(self._message("FindFolder", fault))
                continue
            folders = self._descendants(parent, deep)
            out.append(self._indexed_page("FindFolder", op, "IndexedPageFolderView", "Folders",
                                          folders, self._folder_elem))
        return out

    # ------------------------------------------------------------------ item shapes

    @staticmethod
    def _shape(op: ET.Element, tag: str = "ItemShape") -> dict:
        shape = op.find(q(M, tag))
        base = shape.findtext(q(T, "BaseShape")) if shape is not None else "IdOnly"
        fields, ext = set(), set()
        extra = shape.find(q(T, "AdditionalProperties")) if shape is not None else None
        for ref in extra if extra is not None else ():
            kind = local(ref.tag)
            uri = ref.get("FieldURI") or ""
            if kind == "FieldURI":
                fields.add(uri.split(":", 1)[-1])
            elif kind == "IndexedFieldURI":
                fields.add(INDEXED.get(uri, "PhysicalAddresses"))
            elif kind == "ExtendedFieldURI":
                ext.add(ext_key(ref))
        if base in ("AllProperties", "Default"):
            fields.update(CONTACT_ORDER)
        return {"fields": fields, "ext": ext}

    def _item_elem(self, item: dict, shape: dict) -> ET.Element:
        elem = ET.Element(q(T, "Contact"))
        wanted = shape["fields"]
        for tag in CONTACT_ORDER:
            if tag == "ItemId":
                ET.SubElement(elem, q(T, "ItemId"), {"Id": item["id"],
                                                    "ChangeKey": item["changekey"]})
            elif tag == "ExtendedProperty":
                for key in sorted(shape["ext"]):
                    if key in item["ext"]:
                        prop = ET.SubElement(elem, q(T, "ExtendedProperty"))
                        ET.SubElement(prop, q(T, "ExtendedFieldURI"), {
                            "PropertySetId": key[0], "PropertyName": key[1],
                            "PropertyType": "String"})
                        ET.SubElement(prop, q(T, "Value")).text = item["ext"][key]
            elif tag not in wanted:
                continue
            elif tag == "ParentFolderId":
                ET.SubElement(elem, q(T, "ParentFolderId"), {"Id": item["folder"],
                                                            "ChangeKey": "fk1"})
            elif tag == "ItemClass":
                ET.SubElement(elem, q(T, "ItemClass")).text = "IPM.Contact"
            elif tag == "DateTimeCreated":
                ET.SubElement(elem, q(T, tag)).text = _iso(item["created"])
            elif tag == "LastModifiedTime":
                ET.SubElement(elem, q(T, tag)).text = _iso(item["modified"])
            elif tag in item["props"]:
                # ElementTree elements keep no parent: the stored one can be shared.
                elem.append(item["props"][tag])
        return elem

    # ------------------------------------------------------------------ items

    def _item(self, ref: ET.Element) -> dict:
        item = self.items.get(ref.get("Id"))
        if item is None:
            raise EwsFault("ErrorItemNotFound", "The specified object was not found in the "
                                                "store., The process failed to get the correct "
                                                "properties.")
        return item

    def op_GetItem(self, op: ET.Element) -> list[ET.Element]:
        shape = self._shape(op)
        out = []
        for ref in op.find(q(M, "ItemIds")):
            try:
                item = self._item(ref)
            except EwsFault as fault:
                out.append(self._message("GetItem", fault))
                continue
            msg = self._message("GetItem")
            ET.SubElement(msg, q(M, "Items")).append(self._item_elem(item, shape))
            out.append(msg)
        return out

    def _matches(self, item: dict, restriction: ET.Element) -> bool:
        kind = local(restriction.tag)
        if kind == "And":
            return all(self._matches(item, r) for r in restriction)
        if kind == "Or":
            return any(self._matches(item, r) for r in restriction)
        if kind == "Not":
            return not self._matches(item, restriction[0])
        ref = restriction[0]
        values = self._values_of(item, ref)
        if kind == "Exists":
            return bool(values)
        if kind == "Contains":
            wanted = restriction.find(q(T, "Constant")).get("Value")
            return any(wanted.lower() in v.lower() for v in values)
        constant = restriction.find(f"{q(T, 'FieldURIOrConstant')}/{q(T, 'Constant')}")
        wanted = constant.get("Value") if constant is not None else None
        if kind == "IsEqualTo":
            return wanted in values
        if kind == "IsNotEqualTo":
            return wanted not in values
        raise EwsFault("ErrorUnsupportedQueryFilter", f"The restriction {kind} is not "
                                                      f"supported.")

    def _values_of(self, item: dict, ref: ET.Element) -> list[str]:
        kind = local(ref.tag)
        if kind == "ExtendedFieldURI":
            value = item["ext"].get(ext_key(ref))
            return [value] if value is not None else []
        uri = ref.get("FieldURI") or ""
        tag = INDEXED.get(uri) or uri.split(":", 1)[-1]
        if tag == "ItemClass":
            return ["IPM.Contact"]
        elem = item["props"].get(tag)
        if elem is None:
            return []
        if len(elem):
            index = ref.get("FieldIndex")
            return [e.text or "" for e in elem if index is None or e.get("Key") == index]
        return [elem.text or ""]

    def op_FindItem(self, op: ET.Element) -> list[ET.Element]:
        shape = self._shape(op)
        restriction = op.find(q(M, "Restriction"))
        out = []
        for ref in op.find(q(M, "ParentFolderIds")):
            try:
                fid = self._folder_id(ref)
                found = [it for it in self.items.values() if it["folder"] == fid
                         and (restriction is None or self._matches(it, restriction[0]))]
            except EwsFault as fault:
                out.append(self._message("FindItem", fault))
                continue
            found.sort(key=lambda it: it["created_seq"])
            out.append(self._indexed_page("FindItem", op, "IndexedPageItemView", "Items",
                                          found, lambda it: self._item_elem(it, shape)))
        return out

    def _contact_props(self, contact: ET.Element) -> tuple[dict, dict]:
        props, ext = {}, {}
        for child in contact:
            tag = local(child.tag)
            if tag == "ExtendedProperty":
                ext[ext_key(child.find(q(T, "ExtendedFieldURI")))] = child.findtext(q(T, "Value"))
            elif tag not in COMPUTED:
                props[tag] = child
        return props, ext

    def op_CreateItem(self, op: ET.Element) -> list[ET.Element]:
        target = op.find(f"{q(M, 'SavedItemFolderId')}/*")
        out = []
        for contact in op.find(q(M, "Items")):
            try:
                if local(contact.tag) != "Contact":
                    raise EwsFault("ErrorInvalidItemForOperation", "This peer only keeps "
                                                                   "contacts.")
                fid = self._folder_id(target) if target is not None else "contacts"
                props, ext = self._contact_props(contact)
                iid = self._store_new(fid, props, ext)
            except EwsFault as fault:
                out.append(self._message("CreateItem", fault))
                continue
            msg = self._message("CreateItem")
            item_elem = ET.SubElement(ET.SubElement(msg, q(M, "Items")), q(T, "Contact"))
            ET.SubElement(item_elem, q(T, "ItemId"), {"Id": iid,
                                                     "ChangeKey": self.items[iid]["changekey"]})
            out.append(msg)
        return out

    def _apply_update(self, item: dict, update: ET.Element) -> None:
        kind = local(update.tag)
        ref = update[0]
        ref_kind = local(ref.tag)
        props = item["props"]
        if ref_kind == "ExtendedFieldURI":
            key = ext_key(ref)
            if kind.startswith("Set"):
                value = update.find(f"{q(T, 'Contact')}/{q(T, 'ExtendedProperty')}")
                item["ext"][key] = value.findtext(q(T, "Value"))
            else:
                item["ext"].pop(key, None)
            return
        uri = ref.get("FieldURI") or ""
        if ref_kind == "FieldURI":
            tag = uri.split(":", 1)[-1]
            if kind.startswith("Set"):
                new = update.find(q(T, "Contact"))[0]
                props[tag] = new
            else:
                props.pop(tag, None)
            return
        # IndexedFieldURI: one entry (or one part of a physical address entry).
        index = ref.get("FieldIndex")
        container_tag = INDEXED.get(uri, "PhysicalAddresses")
        container = props.get(container_tag)
        if container is None:
            container = props[container_tag] = ET.Element(q(T, container_tag))
        entry = next((e for e in container if e.get("Key") == index), None)
        if container_tag != "PhysicalAddresses":
            if kind.startswith("Set"):
                new = update.find(q(T, "Contact"))[0][0]
                if entry is not None:
                    container.remove(entry)
                container.append(new)
            elif entry is not None:
                container.remove(entry)
        else:
            part = uri.rsplit(":", 1)[-1]
            if kind.startswith("Set"):
                new_part = update.find(q(T, "Contact"))[0][0][0]
                if entry is None:
                    entry = ET.SubElement(container, q(T, "Entry"), {"Key": index})
                old = entry.find(q(T, part))
                if old is not None:
                    entry.remove(old)
                entry.append(new_part)
                entry[:] = sorted(entry, key=lambda p: ADDRESS_PARTS.index(local(p.tag)))
            elif entry is not None:
                old = entry.find(q(T, part))
                if old is not None:
                    entry.remove(old)
                if not len(entry):
                    container.remove(entry)
        if not len(container):
            props.pop(container_tag)

    def op_UpdateItem(self, op: ET.Element) -> list[ET.Element]:
        policy = op.get("ConflictResolution", "AutoResolve")
        out = []
        for change in op.find(q(M, "ItemChanges")):
            ref = change.find(q(T, "ItemId"))
            try:
                item = self._item(ref)
                if policy == "NeverOverwrite" and ref.get("ChangeKey") != item["changekey"]:
                    raise EwsFault("ErrorIrresolvableConflict", "The send or update operation "
                                   "could not be performed because the change key passed in the "
                                   "request does not match the current change key for the item.")
                saved = copy.deepcopy((item["props"], item["ext"]))
                try:
                    for update in change.find(q(T, "Updates")):
                        self._apply_update(item, update)
                except (IndexError, AttributeError, TypeError, ValueError) as exc:
                    item["props"], item["ext"] = saved
                    raise EwsFault("ErrorInvalidPropertySet", f"Invalid update: {exc!r}")
                self._touch(item)
            except EwsFault as fault:
                out.append(self._message("UpdateItem", fault))
                continue
            msg = self._message("UpdateItem")
            item_elem = ET.SubElement(ET.SubElement(msg, q(M, "Items")), q(T, "Contact"))
            ET.SubElement(item_elem, q(T, "ItemId"), {"Id": item["id"],
                                                     "ChangeKey": item["changekey"]})
            results = ET.SubElement(msg, q(M, "ConflictResults"))
            ET.SubElement(results, q(T, "Count")).text = "0"
            out.append(msg)
        return out

    def op_DeleteItem(self, op: ET.Element) -> list[ET.Element]:
        out = []
        to_bin = op.get("DeleteType") == "MoveToDeletedItems"
        for ref in op.find(q(M, "ItemIds")):
            try:
                item = self._item(ref)
                self._delete_item(ref.get("Id"))
                if to_bin:  # a new item (with a new id) in Deleted Items
                    self._store_new("deleteditems", item["props"], item["ext"])
            except EwsFault as fault:
                out.append(self._message("DeleteItem", fault))
                continue
            out.append(self._message("DeleteItem"))
        return out

    # ------------------------------------------------------------------ sync

    def _sync_state(self, folder: str, seq: int) -> str:
        return base64.b64encode(f"{self.state_epoch}|{folder}|{seq}".encode()).decode()

    def _parse_state(self, folder: str, state: str | None) -> int:
        if not state:
            return 0
        try:
            epoch, state_folder, seq = base64.b64decode(state).decode().split("|")
            if int(epoch) != self.state_epoch or state_folder != folder:
                raise ValueError("stale")
            return int(seq)
        except (ValueError, UnicodeDecodeError):
            raise EwsFault("ErrorInvalidSyncStateData", "Synchronization state data is "
                                                        "corrupt or otherwise invalid.")

    def op_SyncFolderItems(self, op: ET.Element) -> list[ET.Element]:
        shape = self._shape(op)
        max_changes = int(op.findtext(q(M, "MaxChangesReturned")) or 512)
        try:
            if not 1 <= max_changes <= 512:
                raise EwsFault("ErrorInvalidArgument", "MaxChangesReturned must be between "
                                                       "1 and 512.")
            fid = self._folder_id(op.find(f"{q(M, 'SyncFolderId')}/*"))
            since = self._parse_state(fid, op.findtext(q(M, "SyncState")))
        except EwsFault as fault:
            # exchangelib reads these two before it looks at ResponseClass.
            msg = self._message("SyncFolderItems", fault)
            ET.SubElement(msg, q(M, "SyncState"))
            ET.SubElement(msg, q(M, "IncludesLastItemInRange")).text = "true"
            return [msg]
        changes = [(it["seq"], "Create" if it["created_seq"] > since else "Update", it)
                   for it in self.items.values() if it["folder"] == fid and it["seq"] > since]
        changes += [(seq, "Delete", iid) for seq, iid, folder, created in self.tombstones
                    if folder == fid and seq > since and created <= since]
        changes.sort(key=lambda c: c[0])
        page = changes[:max_changes]
        last = len(page) == len(changes)
        new_seq = page[-1][0] if not last else self.seq
        msg = self._message("SyncFolderItems")
        ET.SubElement(msg, q(M, "SyncState")).text = self._sync_state(fid, max(new_seq, since))
        ET.SubElement(msg, q(M, "IncludesLastItemInRange")).text = "true" if last else "false"
        container = ET.SubElement(msg, q(M, "Changes"))
        for _seq, kind, what in page:
            change = ET.SubElement(container, q(T, kind))
            if kind == "Delete":
                ET.SubElement(change, q(T, "ItemId"), {"Id": what, "ChangeKey": "gone"})
            else:
                change.append(self._item_elem(what, shape))
        return [msg]

    def op_ConvertId(self, op: ET.Element) -> list[ET.Element]:
        # exchangelib only sends it to learn the server version from the header.
        return [self._message("ConvertId", EwsFault(
            "ErrorInvalidIdMalformed", "Id is malformed."))]

    def op_ResolveNames(self, op: ET.Element) -> list[ET.Element]:
        msg = self._message("ResolveNames")
        names = ET.SubElement(msg, q(M, "ResolutionSet"), {
            "TotalItemsInView": "1", "IncludesLastItemInRange": "true"})
        resolution = ET.SubElement(names, q(T, "Resolution"))
        mailbox = ET.SubElement(resolution, q(T, "Mailbox"))
        ET.SubElement(mailbox, q(T, "Name")).text = self.display_name
        ET.SubElement(mailbox, q(T, "EmailAddress")).text = self.mailbox
        ET.SubElement(mailbox, q(T, "RoutingType")).text = "SMTP"
        ET.SubElement(mailbox, q(T, "MailboxType")).text = "Mailbox"
        return [msg]


PROPERTY_SET_ID_DEFAULT = "e9985c97-2c4e-4dd6-80f0-5ab67799407d"


def ext_key(ref: ET.Element) -> tuple[str, str]:
    return ((ref.get("PropertySetId") or ref.get("DistinguishedPropertySetId") or "").lower(),
            ref.get("PropertyName") or ref.get("PropertyTag") or ref.get("PropertyId") or "")


def _iso(when) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
