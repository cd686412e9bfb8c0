"""The address classifier's peers (tests/peers/fns.py, dadata.py) over real HTTP."""

import requests

from peers import peer_fixture
from peers.dadata import DadataPeer
from peers.fns import FnsPeer

fns_peer = peer_fixture(FnsPeer)
dadata_peer = peer_fixture(DadataPeer)


def test_fns_json_wsdl_soap_and_downloads(fns_peer):
    fns_peer.add_release(20240119, kladr=b"7z-bytes")
    last = requests.get(f"{fns_peer.url}/WebServices/Public/GetLastDownloadFileInfo").json()
    assert (last["VersionId"], last["Date"]) == (20240119, "19.01.2024")
    assert last["GarXMLFullURL"] == ""
    assert requests.get(last["Kladr47ZUrl"]).content == b"7z-bytes"
    wsdl = requests.get(f"{fns_peer.url}/WebServices/Public/DownloadService.asmx?WSDL")
    assert b"GetAllDownloadFileInfo" in wsdl.content and fns_peer.url.encode() in wsdl.content
    fault = requests.post(f"{fns_peer.url}/WebServices/Public/DownloadService.asmx",
                          headers={"SOAPAction": '"urn:Unknown"'}, data=b"<x/>")
    assert fault.status_code == 500 and b"soap:Fault" in fault.content
    assert requests.get(f"{fns_peer.url}/downloads/20240119/gar_xml.zip").status_code == 404


def test_dadata_auth_and_bounds(dadata_peer):
    dadata_peer.add_address(city="Тверь", city_kladr_id="6900000100000",
                            kladr_id="6900000100000")
    url = f"{dadata_peer.url}/suggest/address"
    body = {"query": "твер", "from_bound": {"value": "city"},
            "to_bound": {"value": "settlement"}}
    assert requests.post(url, json=body).status_code == 401
    assert requests.post(url, json=body,
                         headers={"Authorization": "Token nope"}).status_code == 403
    answer = requests.post(url, json=body, headers={"Authorization": "Token dadata-key"})
    assert [s["data"]["city"] for s in answer.json()["suggestions"]] == ["Тверь"]
    body["from_bound"] = body["to_bound"] = {"value": "street"}
    answer = requests.post(url, json=body, headers={"Authorization": "Token dadata-key"})
    assert answer.json() == {"suggestions": []}
