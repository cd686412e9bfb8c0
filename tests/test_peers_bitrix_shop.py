"""Tests of BitrixShopPeer (tests/peers/bitrix_shop.py) over real HTTP with requests."""

import io
import zipfile

import requests

from peers import BitrixShopPeer, peer_fixture
from peers.bitrix_shop import AUTH_FAILED, SESSID_FAILED, SESSION_FAILED

bitrix_peer = peer_fixture(BitrixShopPeer, file_limit=64, step_items=1)

CATALOG = """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация ВерсияСхемы="2.05"><Классификатор><Ид>c</Ид><Группы><Группа>
<Ид>g1</Ид><Наименование>Мебель</Наименование></Группа></Группы></Классификатор>
<Каталог><Ид>cat</Ид><Наименование>Каталог</Наименование><Товары><Товар><Ид>p1</Ид>
<Наименование>Стул</Наименование><Группы><Ид>g1</Ид></Группы></Товар></Товары></Каталог>
</КоммерческаяИнформация>""".encode()


def call(peer, session, params, data=None, auth=None):
    method = "POST" if data is not None else "GET"
    answer = session.request(method, peer.url + BitrixShopPeer.path, params=params, data=data,
                             auth=auth, timeout=5)
    assert answer.status_code == 200
    return answer.content.decode("windows-1251").split("\n")


def signed_in(peer):
    session = requests.Session()
    lines = call(peer, session, {"type": "catalog", "mode": "checkauth"},
                 auth=(BitrixShopPeer.login, BitrixShopPeer.password))
    assert lines[:2] == ["success", "PHPSESSID"]
    session.headers["Cookie"] = f"PHPSESSID={lines[2]}"
    sessid = lines[3].partition("=")[2]
    return session, sessid


def test_checkauth_cookie_and_sessid(bitrix_peer):
    session = requests.Session()
    lines = call(bitrix_peer, session, {"type": "catalog", "mode": "checkauth"},
                 auth=("admin", "wrong"))
    assert lines == ["failure", AUTH_FAILED]
    assert call(bitrix_peer, session, {"type": "catalog", "mode": "init"}) == [
        "failure", SESSION_FAILED]
    session, sessid = signed_in(bitrix_peer)
    assert call(bitrix_peer, session, {"type": "catalog", "mode": "init"}) == [
        "failure", SESSID_FAILED]
    lines = call(bitrix_peer, session, {"type": "catalog", "mode": "init", "sessid": sessid})
    assert lines[:2] == ["zip=yes", "file_limit=64"]


def test_appending_upload_zip_and_step_wise_import(bitrix_peer):
    session, sessid = signed_in(bitrix_peer)
    call(bitrix_peer, session, {"type": "catalog", "mode": "init", "sessid": sessid})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("import.xml", CATALOG)
    content = buffer.getvalue()
    params = {"type": "catalog", "mode": "file", "filename": "c.zip", "sessid": sessid}
    assert call(bitrix_peer, session, params, data=b"x" * 65)[0] == "failure"
    bitrix_peer.folders["catalog"].clear()
    for start in range(0, len(content), 64):
        assert call(bitrix_peer, session, params, data=content[start:start + 64]) == [
            "success"]
    answers = []
    while not answers or answers[-1] == "progress":
        answers.append(call(bitrix_peer, session, {"type": "catalog", "mode": "import",
                                                   "filename": "import.xml",
                                                   "sessid": sessid})[0])
    assert answers == ["progress", "progress", "success"]  # group, catalog, product
    assert bitrix_peer.products["p1"]["group_ids"] == ["g1"]
    assert bitrix_peer.groups["g1"]["name"] == "Мебель"


def test_query_in_windows_1251_then_success(bitrix_peer):
    bitrix_peer.add_order("7", "ООО Ромашка", [{"id": "p1", "name": "Стул", "price": 5.0,
                                                "quantity": 2}])
    session, sessid = signed_in(bitrix_peer)
    answer = session.get(bitrix_peer.url + BitrixShopPeer.path, timeout=5, params={
        "type": "sale", "mode": "query", "sessid": sessid})
    assert answer.headers["Content-Type"].endswith("windows-1251")
    assert "ООО Ромашка".encode("windows-1251") in answer.content
    assert call(bitrix_peer, session, {"type": "sale", "mode": "success",
                                       "sessid": sessid}) == ["success"]
    assert bitrix_peer.orders["7"]["exported"]
    empty = session.get(bitrix_peer.url + BitrixShopPeer.path, timeout=5, params={
        "type": "sale", "mode": "query", "sessid": sessid})
    assert "<КоммерческаяИнформация".encode("windows-1251") in empty.content
    assert "<Документ>".encode("windows-1251") not in empty.content, "an empty root element"


def test_failure_injection(bitrix_peer):
    session, sessid = signed_in(bitrix_peer)
    bitrix_peer.fail_next("query", "Нет доступа")
    assert call(bitrix_peer, session, {"type": "sale", "mode": "query", "sessid": sessid}) == [
        "failure", "Нет доступа"]
