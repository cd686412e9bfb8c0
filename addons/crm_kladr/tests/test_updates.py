"""Updates from the FNS download service, over JSON and SOAP (zeep and the WSDL)."""

import io
import os
import tempfile
import zipfile

import py7zr

from odoo.tests import tagged
from peers import PeerCaseMixin
from peers.fns import FnsPeer

from ..utils.fns import FnsDownloadService, plan_update, release_from
from .common import KladrCase
from .kladr_files import PLACES, write_distribution
from .test_utils import write_gar_region


def kladr_7z(places=PLACES):
    folder = write_distribution(tempfile.mkdtemp(prefix="kladr_fns_"), places=places)
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as target:
        for name in os.listdir(folder):
            target.write(os.path.join(folder, name), name)
    return buffer.getvalue()


def gar_zip(**options):
    root = tempfile.mkdtemp(prefix="gar_fns_")
    write_gar_region(os.path.join(root, "77"), **options)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in os.listdir(os.path.join(root, "77")):
            target.write(os.path.join(root, "77", name), f"77/{name}")
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestFnsUpdates(PeerCaseMixin, KladrCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(FnsPeer)

    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.params.set_param("crm_kladr.fns_url", self.peer.url)
        self.params.set_param("crm_kladr.update_format", "kladr")

    def test_client_json_and_soap_agree(self):
        self.peer.add_release(20240112, kladr=b"x")
        self.peer.add_release(20240119, kladr=b"y", gar_full=b"z", gar_delta=b"d")
        for protocol in ("json", "soap"):
            service = FnsDownloadService(self.peer.url, protocol=protocol)
            last = service.last()
            self.assertEqual(last.version_id, 20240119, protocol)
            self.assertEqual(last.date.isoformat(), "2024-01-19")
            self.assertTrue(last.kladr_7z_url.endswith("/downloads/20240119/BASE.7z"))
            self.assertTrue(last.gar_delta_url.endswith("gar_delta_xml.zip"))
            self.assertEqual([r.version_id for r in service.all()], [20240112, 20240119])
        self.assertTrue(self.peer.requests_to("POST", r"/WebServices/Public/DownloadService.asmx"))

    def test_plan(self):
        def release(version, delta=True):
            return release_from({"VersionId": version, "Date": "", "Kladr47ZUrl": "k",
                                 "GarXMLFullURL": "f", "GarXMLDeltaURL": "d" if delta else ""})
        releases = [release(1), release(2), release(3)]
        self.assertEqual(plan_update(releases, "kladr", "kladr", 3), [])
        self.assertEqual([(k, r.version_id) for k, r in plan_update(releases, "kladr", None, None)],
                         [("full", 3)])
        self.assertEqual([(k, r.version_id) for k, r in plan_update(releases, "gar", "gar", 1)],
                         [("delta", 2), ("delta", 3)])
        gap = [release(1), release(2, delta=False), release(3)]
        self.assertEqual([(k, r.version_id) for k, r in plan_update(gap, "gar", "gar", 1)],
                         [("full", 3)])
        self.assertEqual([(k, r.version_id) for k, r in plan_update(releases, "gar", "kladr", 5)],
                         [("full", 3)])

    def test_kladr_update_downloads_only_what_is_newer(self):
        self.peer.add_release(20240119, kladr=kladr_7z())
        for protocol in ("soap", "json"):
            self.params.set_param("crm_kladr.fns_protocol", protocol)
            jobs = self.env["crm.kladr.import"]._check_updates()
            if protocol == "soap":
                self.assertEqual((jobs.state, jobs.version, jobs.data_format),
                                 ("done", "20240119", "kladr"), jobs.error)
                self.assertEqual(str(jobs.version_date), "2024-01-19")
            else:
                self.assertFalse(jobs, "nothing newer: nothing downloaded")
        self.assertEqual(len(self.peer.requests_to("GET", r"/downloads/.*")), 1)
        self.assertEqual(self.city_labels("Тверь")[0][0], "г. Тверь")

        self.peer.add_release(20240126, kladr=kladr_7z(PLACES + [
            ("Новоград", "г", "6900000200000", "171500", "0")]))
        jobs = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual((jobs.state, jobs.version), ("done", "20240126"))
        self.assertEqual(self.city_labels("Новоград")[0][0], "г. Новоград")

    def test_gar_deltas_follow_the_chain(self):
        self.params.set_param("crm_kladr.update_format", "gar")
        self.peer.add_release(20240112, gar_full=gar_zip(), gar_delta=b"unused")
        jobs = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual((jobs.state, jobs.is_delta, jobs.places), ("done", False, 2), jobs.error)
        self.peer.add_release(20240119, gar_full=b"not used",
                              gar_delta=gar_zip(name="Тверская-Ямская"))
        jobs = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual((jobs.state, jobs.is_delta), ("done", True), jobs.error)
        self.assertFalse(self.peer.requests_to("GET", r"/downloads/20240119/gar_xml.zip"))
        moscow = self.env["crm.kladr.suggest"].suggest("city", query="Москва")[0]
        streets = self.env["crm.kladr.suggest"].suggest("street", query="",
                                                        place_code=moscow["code"])
        self.assertEqual([s["label"] for s in streets], ["ул. Тверская-Ямская"])
        self.assertEqual(streets[0]["zip"], "125009")

    def test_gar_delta_postal_codes(self):
        """A delta's parameters change the zip of objects it does not otherwise touch;
        an object it changes without a postal code parameter keeps its zip."""
        self.params.set_param("crm_kladr.update_format", "gar")
        self.peer.add_release(20240112, gar_full=gar_zip(), gar_delta=b"unused")
        self.env["crm.kladr.import"]._check_updates()
        # the street renamed, no parameter for it; Zelenograd's postal code replaced
        # (the old value ended, a new one in force); Moscow gets one
        self.peer.add_release(20240119, gar_full=b"not used", gar_delta=gar_zip(
            name="Тверская-Ямская", params=[
                ("2", "5", "124482", "2011-01-01", "2024-01-01"),
                ("2", "5", "124460", "2024-01-01", "2079-06-06"),
                ("1", "5", "101000", "2024-01-01", "2079-06-06")]))
        jobs = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual((jobs.state, jobs.is_delta), ("done", True), jobs.error)
        suggest = self.env["crm.kladr.suggest"].suggest
        self.assertEqual(suggest("city", query="зелен")[0]["zip"], "124460")
        moscow = suggest("city", query="москва")[0]
        self.assertEqual(moscow["zip"], "101000")
        streets = suggest("street", query="", place_code=moscow["code"])
        self.assertEqual([(s["label"], s["zip"]) for s in streets],
                         [("ул. Тверская-Ямская", "125009")])
        # a delta ending a postal code without a new one clears it
        self.peer.add_release(20240126, gar_full=b"not used", gar_delta=gar_zip(
            params=[("3", "5", "125009", "2016-05-01", "2024-01-02")]))
        jobs = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual(jobs.state, "done", jobs.error)
        self.assertEqual(self.env["crm.kladr.store"].lookup("3")["zip"], "")

    def test_service_down_or_archive_missing_changes_nothing(self):
        self.peer.add_release(20240119, kladr=kladr_7z())
        self.env["crm.kladr.import"]._check_updates()
        before = self.env["crm.kladr.store"]._counts()
        self.peer.inject("GET", r"/WebServices/Public/GetAllDownloadFileInfo", status=503,
                         json={"Message": "Service Unavailable"})
        job = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual(job.state, "failed")
        self.assertIn("503", job.error)
        self.peer.add_release(20240126, kladr=b"7z\xbc\xaf\x27\x1c broken")
        job = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual((job.state, job.version), ("failed", "20240126"))
        self.assertIn("previously loaded data are still in use", job.error)
        self.assertEqual(self.env["crm.kladr.store"]._counts(), before)
        self.peer.inject("GET", r"/downloads/.*", status=404, json={"Message": "Not found"})
        job = self.env["crm.kladr.import"]._check_updates()
        self.assertEqual(job.state, "failed")
        self.assertIn("404", job.error)

    def test_settings_button_queues_the_check(self):
        self.peer.add_release(20240119, kladr=kladr_7z())
        self.env["res.config.settings"].create({}).action_kladr_check_updates()
        self.assertFalse(self.peer.requests_to("GET", r"/downloads/.*"))
        self.env["crm.kladr.import"]._cron_process_queue()
        job = self.env["crm.kladr.import"].search([("version", "=", "20240119")])
        self.assertEqual(job.state, "done", job.error)
