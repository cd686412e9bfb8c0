"""The FNS download service (https://fias.nalog.ru/WebServices/Public/), played
locally: the SOAP service with its WSDL (DownloadService.asmx, GetLastDownloadFileInfo
and GetAllDownloadFileInfo returning DownloadFileInfo) and the JSON twins
(/WebServices/Public/GetLastDownloadFileInfo, .../GetAllDownloadFileInfo), plus the
archives the answers point at (/downloads/<version>/<file>).

State: ``releases``, each {"version": 20240119, "date": "19.01.2024", "files":
{"kladr": bytes, "gar_full": bytes, "gar_delta": bytes}} (absent kinds have no URL).
"""

from __future__ import annotations

import datetime
from xml.sax.saxutils import escape

from .base import HTTPError, Peer, Response, route

NS = "https://fias.nalog.ru/WebServices/Public/DownloadService.asmx/"
FILE_NAMES = {"kladr": "BASE.7z", "gar_full": "gar_xml.zip", "gar_delta": "gar_delta_xml.zip"}
INFO_FIELDS = ["VersionId", "TextVersion", "FiasCompleteDbfUrl", "FiasCompleteXmlUrl",
               "FiasDeltaDbfUrl", "FiasDeltaXmlUrl", "Kladr4ArjUrl", "Kladr47ZUrl",
               "GarXMLFullURL", "GarXMLDeltaURL", "ExpDate", "Date"]

WSDL = """<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="{ns}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="{ns}">
  <wsdl:types>
    <s:schema elementFormDefault="qualified" targetNamespace="{ns}">
      <s:element name="GetLastDownloadFileInfo"><s:complexType/></s:element>
      <s:element name="GetLastDownloadFileInfoResponse"><s:complexType><s:sequence>
        <s:element minOccurs="0" maxOccurs="1" name="GetLastDownloadFileInfoResult"
                   type="tns:DownloadFileInfo"/>
      </s:sequence></s:complexType></s:element>
      <s:complexType name="DownloadFileInfo"><s:sequence>
        <s:element minOccurs="1" maxOccurs="1" name="VersionId" type="s:int"/>
        <s:element minOccurs="0" maxOccurs="1" name="TextVersion" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="FiasCompleteDbfUrl" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="FiasCompleteXmlUrl" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="FiasDeltaDbfUrl" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="FiasDeltaXmlUrl" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="Kladr4ArjUrl" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="Kladr47ZUrl" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="GarXMLFullURL" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="GarXMLDeltaURL" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="ExpDate" type="s:string"/>
        <s:element minOccurs="0" maxOccurs="1" name="Date" type="s:string"/>
      </s:sequence></s:complexType>
      <s:element name="GetAllDownloadFileInfo"><s:complexType/></s:element>
      <s:element name="GetAllDownloadFileInfoResponse"><s:complexType><s:sequence>
        <s:element minOccurs="0" maxOccurs="1" name="GetAllDownloadFileInfoResult"
                   type="tns:ArrayOfDownloadFileInfo"/>
      </s:sequence></s:complexType></s:element>
      <s:complexType name="ArrayOfDownloadFileInfo"><s:sequence>
        <s:element minOccurs="0" maxOccurs="unbounded" name="DownloadFileInfo"
                   nillable="true" type="tns:DownloadFileInfo"/>
      </s:sequence></s:complexType>
    </s:schema>
  </wsdl:types>
  <wsdl:message name="GetLastDownloadFileInfoSoapIn">
    <wsdl:part name="parameters" element="tns:GetLastDownloadFileInfo"/></wsdl:message>
  <wsdl:message name="GetLastDownloadFileInfoSoapOut">
    <wsdl:part name="parameters" element="tns:GetLastDownloadFileInfoResponse"/></wsdl:message>
  <wsdl:message name="GetAllDownloadFileInfoSoapIn">
    <wsdl:part name="parameters" element="tns:GetAllDownloadFileInfo"/></wsdl:message>
  <wsdl:message name="GetAllDownloadFileInfoSoapOut">
    <wsdl:part name="parameters" element="tns:GetAllDownloadFileInfoResponse"/></wsdl:message>
  <wsdl:portType name="DownloadServiceSoap">
    <wsdl:operation name="GetLastDownloadFileInfo">
      <wsdl:input message="tns:GetLastDownloadFileInfoSoapIn"/>
      <wsdl:output message="tns:GetLastDownloadFileInfoSoapOut"/></wsdl:operation>
    <wsdl:operation name="GetAllDownloadFileInfo">
      <wsdl:input message="tns:GetAllDownloadFileInfoSoapIn"/>
      <wsdl:output message="tns:GetAllDownloadFileInfoSoapOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="DownloadServiceSoap" type="tns:DownloadServiceSoap">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetLastDownloadFileInfo">
      <soap:operation soapAction="{ns}GetLastDownloadFileInfo" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
    <wsdl:operation name="GetAllDownloadFileInfo">
      <soap:operation soapAction="{ns}GetAllDownloadFileInfo" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="DownloadService">
    <wsdl:port name="DownloadServiceSoap" binding="tns:DownloadServiceSoap">
      <soap:address location="{url}/WebServices/Public/DownloadService.asmx"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

ENVELOPE = ('<?xml version="1.0" encoding="utf-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            "<soap:Body>{body}</soap:Body></soap:Envelope>")
FAULT = ("<soap:Fault><faultcode>soap:Client</faultcode>"
         "<faultstring>{message}</faultstring></soap:Fault>")


class FnsPeer(Peer):
    def reset_state(self):
        self.releases = []

    def add_release(self, version: int, **files: bytes) -> dict:
        """``files``: kladr=, gar_full=, gar_delta= archive bytes."""
        with self.lock:
            day = datetime.datetime.strptime(str(version), "%Y%m%d").date()
            release = {"version": version, "date": day.strftime("%d.%m.%Y"), "files": files}
            self.releases.append(release)
            self.releases.sort(key=lambda r: r["version"])
            return release

    def _info(self, release: dict) -> dict:
        base = f"{self.url}/downloads/{release['version']}/"
        files = release["files"]
        url = {kind: base + name if kind in files else "" for kind, name in FILE_NAMES.items()}
        return {
            "VersionId": release["version"],
            "TextVersion": f"БД ФИАС от {release['date']}",
            "FiasCompleteDbfUrl": "", "FiasCompleteXmlUrl": "", "FiasDeltaDbfUrl": "",
            "FiasDeltaXmlUrl": "", "Kladr4ArjUrl": "",
            "Kladr47ZUrl": url["kladr"], "GarXMLFullURL": url["gar_full"],
            "GarXMLDeltaURL": url["gar_delta"], "ExpDate": "0001-01-01T00:00:00",
            "Date": release["date"],
        }

    # -- JSON
    @route("GET", r"/WebServices/Public/GetLastDownloadFileInfo")
    def json_last(self, request):
        if not self.releases:
            raise HTTPError(404, {"Message": "No releases"})
        return Response(200, self._info(self.releases[-1]))

    @route("GET", r"/WebServices/Public/GetAllDownloadFileInfo")
    def json_all(self, request):
        return Response(200, [self._info(r) for r in self.releases])

    # -- SOAP
    @route("GET", r"/WebServices/Public/DownloadService\.asmx")
    def wsdl(self, request):
        if "WSDL" not in {key.upper() for key in request.query}:
            raise HTTPError(400, {"Message": "add ?WSDL"})
        return Response(200, body=WSDL.format(ns=NS, url=self.url).encode(),
                        headers={"Content-Type": "text/xml; charset=utf-8"})

    def _soap_info(self, release: dict, tag: str) -> str:
        info = self._info(release)
        fields = "".join(f"<{name}>{escape(str(info[name]))}</{name}>" for name in INFO_FIELDS)
        return f"<{tag}>{fields}</{tag}>"

    @route("POST", r"/WebServices/Public/DownloadService\.asmx")
    def soap(self, request):
        action = (request.headers.get("SOAPAction") or "").strip('"')
        operation = action.rsplit("/", 1)[-1]
        if operation == "GetLastDownloadFileInfo" and self.releases:
            inner = self._soap_info(self.releases[-1], "GetLastDownloadFileInfoResult")
            body = f'<GetLastDownloadFileInfoResponse xmlns="{NS}">{inner}' \
                   "</GetLastDownloadFileInfoResponse>"
        elif operation == "GetAllDownloadFileInfo":
            items = "".join(self._soap_info(r, "DownloadFileInfo") for r in self.releases)
            body = (f'<GetAllDownloadFileInfoResponse xmlns="{NS}">'
                    f"<GetAllDownloadFileInfoResult>{items}</GetAllDownloadFileInfoResult>"
                    "</GetAllDownloadFileInfoResponse>")
        else:
            return Response(500, body=ENVELOPE.format(body=FAULT.format(
                message=escape(f"Server did not recognize the value of HTTP Header "
                               f"SOAPAction: {action}."))).encode(),
                headers={"Content-Type": "text/xml; charset=utf-8"})
        return Response(200, body=ENVELOPE.format(body=body).encode(),
                        headers={"Content-Type": "text/xml; charset=utf-8"})

    # -- archives
    @route("GET", r"/downloads/(?P<version>\d+)/(?P<name>[^/]+)")
    def download(self, request, version, name):
        for release in self.releases:
            if str(release["version"]) == version:
                for kind, file_name in FILE_NAMES.items():
                    if file_name == name and kind in release["files"]:
                        return Response(200, body=release["files"][kind], headers={
                            "Content-Type": "application/octet-stream"})
        raise HTTPError(404, {"Message": "Not found"})
