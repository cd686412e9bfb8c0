"""Tests of EwsPeer (tests/peers/ews.py) through exchangelib over real HTTP."""

import pytest
import requests
from exchangelib import BASIC, DELEGATE, Account, Configuration, Contact, Credentials
from exchangelib.errors import (
    ErrorFolderNotFound,
    ErrorInvalidSyncStateData,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorServerBusy,
    UnauthorizedError,
)
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import NEVER_OVERWRITE
from exchangelib.protocol import FailFast

from peers.base import peer_fixture
from peers.ews import EwsPeer

ews_peer = peer_fixture(EwsPeer)


class PeerTestTag(ExtendedProperty):
    property_set_id = "e9985c97-2c4e-4dd6-80f0-5ab67799407d"
    property_name = "CrmSyncLocalTag"
    property_type = "String"


@pytest.fixture(scope="module", autouse=True)
def tag_property():
    Contact.register("peer_test_tag", PeerTestTag)
    yield
    Contact.deregister("peer_test_tag")


def account(peer, password="secret", login="user@example.com"):
    config = Configuration(service_endpoint=peer.service_url,
                           credentials=Credentials(login, password), auth_type=BASIC,
                           retry_policy=FailFast())
    return Account(login, config=config, autodiscover=False, access_type=DELEGATE)


def test_basic_auth_and_version_header(ews_peer):
    answer = requests.post(ews_peer.service_url, data=b"<x/>", timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    acc = account(ews_peer)
    assert acc.version.build.major_version == 15
    with pytest.raises(UnauthorizedError):
        account(ews_peer, password="wrong").contacts  # noqa: B018


def test_locked_account(ews_peer):
    ews_peer.lock_account()
    with pytest.raises(UnauthorizedError, match="locked out"):
        account(ews_peer).contacts  # noqa: B018


def test_folders_tree_and_classes(ews_peer):
    sub = ews_peer.add_folder("Customers")
    acc = account(ews_peer)
    assert acc.contacts.name == "Contacts"
    walked = {f.name: f for f in acc.contacts.walk()}
    assert {name: f.folder_class for name, f in walked.items()} == {
        "Customers": "IPF.Contact", "Recipient Cache": "IPF.Contact.RecipientCache"}
    assert walked["Customers"].parent_folder_id.id == "contacts"
    ews_peer.delete_folder(sub)
    with pytest.raises(ErrorFolderNotFound):
        walked["Customers"].refresh()


def test_create_read_update_with_changekey_and_delete(ews_peer):
    acc = account(ews_peer)
    contact = Contact(
        folder=acc.contacts, given_name="Bob", surname="Smith", display_name="Bob Smith",
        email_addresses=[EmailAddress(label="EmailAddress1", email="bob@x.com")],
        phone_numbers=[PhoneNumber(label="MobilePhone", phone_number="+1 555")],
        physical_addresses=[PhysicalAddress(label="Business", street="1 Main", city="Town")],
        body="hello", categories=["VIP"], peer_test_tag="odoo:1")
    contact.save()
    stored = ews_peer.contact(contact.id)
    assert stored["emails"] == {"EmailAddress1": "bob@x.com"}
    assert stored["addresses"] == {"Business": {"Street": "1 Main", "City": "Town"}}
    assert stored["ext"] == {"CrmSyncLocalTag": "odoo:1"}
    first_key = contact.changekey

    contact.given_name = "Robert"
    contact.physical_addresses = [PhysicalAddress(label="Home", city="Village")]
    contact.save(update_fields=["given_name", "physical_addresses"],
                 conflict_resolution=NEVER_OVERWRITE)
    assert contact.changekey != first_key
    stored = ews_peer.contact(contact.id)
    assert stored["given_name"] == "Robert"
    assert stored["addresses"] == {"Home": {"City": "Village"}}

    stale = Contact(account=acc, folder=acc.contacts, id=contact.id, changekey=first_key,
                    given_name="Bobby")
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(update_fields=["given_name"], conflict_resolution=NEVER_OVERWRITE)
    assert ews_peer.contact(contact.id)["given_name"] == "Robert"

    fetched = list(acc.fetch([(contact.id, None), ("missing", None)]))
    assert fetched[0].given_name == "Robert" and fetched[0].peer_test_tag == "odoo:1"
    assert isinstance(fetched[1], ErrorItemNotFound)  # inside the list, not raised
    assert acc.bulk_delete([(contact.id, None)]) == [True]
    assert ews_peer.contacts() == []


def test_find_by_extended_property(ews_peer):
    ews_peer.add_contact(given_name="Ann", ext={"CrmSyncLocalTag": "odoo:7"})
    ews_peer.add_contact(given_name="Other")
    acc = account(ews_peer)
    found = list(acc.contacts.filter(peer_test_tag="odoo:7"))
    assert [c.given_name for c in found] == ["Ann"]
    assert [c.given_name for c in acc.contacts.filter(given_name="Other")] == ["Other"]


def test_sync_folder_items_paging_state_and_invalid_state(ews_peer):
    ids = [ews_peer.add_contact(given_name=f"N{n}") for n in range(5)]
    acc = account(ews_peer)
    folder = acc.contacts
    changes = list(folder.sync_items(max_changes_returned=2))
    assert [k for k, _i in changes] == ["create"] * 5
    assert len(ews_peer.requests_to("POST")) and ews_peer.operations().count(
        "SyncFolderItems") == 3
    state = folder.item_sync_state
    assert list(folder.sync_items(sync_state=state)) == []

    ews_peer.edit_contact(ids[0], given_name="Changed")
    ews_peer.remove_contact(ids[1])
    new = ews_peer.add_contact(given_name="New")
    changes = list(folder.sync_items(sync_state=state))
    kinds = {(k, (i.id if k != "delete" else i.id)) for k, i in changes}
    assert kinds == {("update", ids[0]), ("delete", ids[1]), ("create", new)}

    ews_peer.expire_sync_states()
    with pytest.raises(ErrorInvalidSyncStateData):
        list(folder.sync_items(sync_state=folder.item_sync_state))
    folder.item_sync_state = None  # exchangelib reuses the dead state otherwise
    assert len(list(folder.sync_items())) == 5


def test_sync_of_deleted_folder(ews_peer):
    sub = ews_peer.add_folder("Gone")
    acc = account(ews_peer)
    folder = next(f for f in acc.contacts.walk() if f.id == sub)
    ews_peer.delete_folder(sub)
    with pytest.raises(ErrorFolderNotFound):
        list(folder.sync_items())


def test_server_busy(ews_peer):
    acc = account(ews_peer)
    acc.contacts  # noqa: B018
    ews_peer.busy(times=1, back_off_ms=3000)
    with pytest.raises(ErrorServerBusy) as caught:
        list(acc.contacts.sync_items())
    assert caught.value.back_off == 3.0
    assert list(acc.contacts.sync_items()) == []


def test_indexed_field_update_replaces_the_labels(ews_peer):
    # UpdateItem of an indexed field deletes the labels not sent: the peer follows.
    ews_peer.add_contact(given_name="X", phones={"BusinessPhone": "1", "HomePhone": "2"})
    acc = account(ews_peer)
    contact = next(iter(acc.contacts.all()))
    contact.phone_numbers = [PhoneNumber(label="HomePhone", phone_number="3")]
    contact.save(update_fields=["phone_numbers"])
    assert ews_peer.contact(contact.id)["phones"] == {"HomePhone": "3"}


def test_lost_answer_of_one_operation(ews_peer):
    acc = account(ews_peer)
    acc.contacts  # noqa: B018
    ews_peer.lose_answer("CreateItem")
    with pytest.raises(Exception):  # noqa: B017 - the client sees a dropped connection
        Contact(folder=acc.contacts, given_name="Once", display_name="Once").save()
    assert [c["given_name"] for c in ews_peer.contacts()] == ["Once"]
