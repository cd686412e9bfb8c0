"""The FNS download service that announces the classifier's releases
(https://fias.nalog.ru/WebServices/Public/DownloadService.asmx), in its two forms:

- SOAP: ``DownloadService.asmx?WSDL``, operations GetLastDownloadFileInfo and
  GetAllDownloadFileInfo returning DownloadFileInfo (called with zeep);
- JSON: ``GET /WebServices/Public/GetLastDownloadFileInfo`` and
  ``GET /WebServices/Public/GetAllDownloadFileInfo``.

A DownloadFileInfo has VersionId (an increasing number, e.g. 20240119), TextVersion,
Date (dd.mm.yyyy in the JSON form), Kladr47ZUrl / Kladr4ArjUrl, GarXMLFullURL,
GarXMLDeltaURL and the retired FIAS DBF/XML URLs. Plain Python; no odoo import.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import requests

from .errors import ClassifierError, _

WSDL_PATH = "/WebServices/Public/DownloadService.asmx?WSDL"
JSON_LAST = "/WebServices/Public/GetLastDownloadFileInfo"
JSON_ALL = "/WebServices/Public/GetAllDownloadFileInfo"
MAX_DOWNLOAD_BYTES = 80 * 1024**3  # a full GAR archive is about 40 GB


class FnsServiceError(ClassifierError):
    """The service could not be asked or gave an unusable answer."""


@dataclass(frozen=True)
class Release:
    version_id: int
    date: datetime.date | None
    text: str
    kladr_7z_url: str
    gar_full_url: str
    gar_delta_url: str


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    value = (value or "").strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(value[:19], pattern).date()
        except ValueError:
            continue
    return None


def release_from(item) -> Release:
    """A Release from a JSON dict or a zeep object."""
    def get(name):
        if isinstance(item, dict):
            return item.get(name)
        return getattr(item, name, None)
    try:
        version_id = int(get("VersionId"))
    except (TypeError, ValueError):
        raise FnsServiceError(_("the service's answer has no valid VersionId: %(value)s"),
                              value=repr(get("VersionId")))
    return Release(
        version_id=version_id,
        date=_date(get("Date")) or _date(str(version_id)[:4] + "-" + str(version_id)[4:6]
                                          + "-" + str(version_id)[6:8]),
        text=get("TextVersion") or "",
        kladr_7z_url=get("Kladr47ZUrl") or get("Kladr47zUrl") or "",
        gar_full_url=get("GarXMLFullURL") or "",
        gar_delta_url=get("GarXMLDeltaURL") or "")


class FnsDownloadService:
    def __init__(self, base_url: str, *, protocol: str = "json", timeout: float = 60):
        self.base_url = base_url.rstrip("/")
        self.protocol = protocol
        self.timeout = timeout
        self.session = requests.Session()
        self._soap = None

    # -- SOAP
    def _soap_service(self):
        if self._soap is None:
            import zeep
            from zeep.transports import Transport
            try:
                client = zeep.Client(self.base_url + WSDL_PATH, transport=Transport(
                    session=self.session, timeout=self.timeout,
                    operation_timeout=self.timeout))
            except (requests.RequestException, zeep.exceptions.Error, OSError) as exc:
                raise FnsServiceError(_("the service's WSDL cannot be read: %(reason)s"),
                                      reason=str(exc))
            self._soap = client.service
        return self._soap

    def _soap_call(self, operation):
        import zeep
        try:
            return getattr(self._soap_service(), operation)()
        except zeep.exceptions.Fault as exc:
            raise FnsServiceError(_("the service refused %(operation)s: %(reason)s"),
                                  operation=operation, reason=exc.message)
        except (requests.RequestException, zeep.exceptions.Error) as exc:
            raise FnsServiceError(_("%(operation)s failed: %(reason)s"), operation=operation,
                                  reason=str(exc))

    # -- JSON
    def _json(self, path):
        try:
            response = self.session.get(self.base_url + path, timeout=self.timeout,
                                        headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise FnsServiceError(_("the service cannot be reached: %(reason)s"),
                                  reason=type(exc).__name__)
        if response.status_code != 200:
            raise FnsServiceError(_("the service answered %(status)s to %(path)s"),
                                  status=response.status_code, path=path)
        try:
            return response.json()
        except ValueError:
            raise FnsServiceError(_("the service's answer to %(path)s is not JSON"), path=path)

    def last(self) -> Release:
        if self.protocol == "soap":
            return release_from(self._soap_call("GetLastDownloadFileInfo"))
        return release_from(self._json(JSON_LAST))

    def all(self) -> list[Release]:
        if self.protocol == "soap":
            items = self._soap_call("GetAllDownloadFileInfo") or []
        else:
            items = self._json(JSON_ALL)
        if not isinstance(items, list):
            raise FnsServiceError(_("GetAllDownloadFileInfo did not answer a list"))
        return sorted((release_from(item) for item in items), key=lambda r: r.version_id)

    def download(self, url: str, folder: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> str:
        """Stream ``url`` into ``folder``; returns the file's path."""
        name = os.path.basename(url.split("?")[0]) or "download"
        path = os.path.join(folder, name)
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise FnsServiceError(_("downloading %(name)s failed: HTTP %(status)s"),
                                          name=name, status=response.status_code)
                written = 0
                with open(path, "wb") as out:
                    for chunk in response.iter_content(1024 * 1024):
                        written += len(chunk)
                        if written > max_bytes:
                            raise FnsServiceError(_("%(name)s is larger than %(limit)s bytes"),
                                                  name=name, limit=f"{max_bytes:,}")
                        out.write(chunk)
                expected = response.headers.get("Content-Length")
                if expected and expected.isdigit() and int(expected) != written:
                    raise FnsServiceError(_("the download of %(name)s was cut short"),
                                          name=name)
        except requests.RequestException as exc:
            raise FnsServiceError(_("downloading %(name)s failed: %(status)s"), name=name,
                                  status=type(exc).__name__)
        return path


def plan_update(releases: list[Release], data_format: str, loaded_format: str | None,
                loaded_version: int | None) -> list[tuple[str, Release]]:
    """What to download: [] when up to date; for KLADR [("full", latest)]; for GAR the
    deltas after the loaded version when every one of them is published, else
    [("full", latest)]."""
    usable = [r for r in releases
              if (r.kladr_7z_url if data_format == "kladr" else r.gar_full_url or r.gar_delta_url)]
    if not usable:
        return []
    latest = usable[-1]
    if loaded_format == data_format and loaded_version and latest.version_id <= loaded_version:
        return []
    if data_format == "kladr":
        return [("full", latest)]
    if loaded_format == "gar" and loaded_version:
        newer = [r for r in releases if r.version_id > loaded_version]
        known = {r.version_id for r in releases}
        if loaded_version in known and newer and all(r.gar_delta_url for r in newer):
            return [("delta", r) for r in newer]
    if not latest.gar_full_url:
        return []
    return [("full", latest)]
