"""Imports from archives and folders, and every way one can fail without losing the
data already loaded."""

import json
import os
import tempfile
import zipfile

import py7zr

from odoo.tests import tagged

from .common import KladrCase
from .kladr_files import write_distribution, zip_folder
from .test_utils import REAL_ALTNAMES, REAL_SOCRBASE, write_gar_region


@tagged("post_install", "-at_install")
class TestKladrImport(KladrCase):
    def test_zip_import_counts_and_progress(self):
        job = self.load_sample()
        self.assertEqual(job.data_format, "kladr")
        # Москва, Санкт-Петербург, Тверь, Ивановка ×2, Королёв, Псков + 2 alias rows
        self.assertEqual(job.places, 7)
        self.assertEqual(job.streets, 5)
        self.assertEqual(job.houses, 1)
        self.assertEqual(job.progress, 100)
        self.assertFalse(job.archive, "the loaded archive is not kept in the filestore")
        self.assertEqual(self.env["crm.kladr.store"]._counts(),
                         {"places": 9, "streets": 5, "houses": 1})

    def test_7z_and_folder_imports(self):
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp))
        seven = os.path.join(self.tmp, "Base.7z")
        with py7zr.SevenZipFile(seven, "w") as target:
            for name in os.listdir(folder):
                target.write(os.path.join(folder, name), name)
        job = self.make_job(seven)
        job.action_run_now()
        self.assertEqual((job.state, job.places), ("done", 7), job.error)
        job = self.make_job(folder=folder)
        job.action_run_now()
        self.assertEqual((job.state, job.places), ("done", 7), job.error)

    def test_progress_is_announced_on_the_bus(self):
        """Each step of a job is sent to the administrators, for their open forms."""
        job = self.env["crm.kladr.import"].create({"origin": "folder", "folder": self.tmp})
        job._set_progress(0.5, "Loading streets")
        self.env.cr.precommit.run()  # the bus rows are written when the step commits
        admin_channel = json.dumps(
            [self.env.cr.dbname, "res.partner", self.env.ref("base.partner_admin").id],
            separators=(",", ":"))
        messages = [json.loads(m.message) for m in self.env["bus.bus"].sudo().search(
            [("channel", "=", admin_channel)])]
        self.assertIn({"type": "crm_kladr.import_progress",
                       "payload": {"id": job.id, "state": "draft", "progress": 50.0,
                                   "progress_message": "Loading streets"}}, messages)

    def test_queued_import_runs_in_the_scheduled_action(self):
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp))
        job = self.make_job(folder=folder)
        job.action_start()
        self.assertEqual(job.state, "queued")
        self.env["crm.kladr.import"]._cron_process_queue()
        self.assertEqual(job.state, "done")

    def test_real_socrbase_and_altnames_import(self):
        if not REAL_SOCRBASE.exists():
            self.skipTest("../shared/data/kladr is not available here")
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp),
                                    socrbase=str(REAL_SOCRBASE), altnames=str(REAL_ALTNAMES))
        job = self.make_job(folder=folder)
        job.action_run_now()
        self.assertEqual(job.state, "done", job.error)
        store = self.env["crm.kladr.store"]
        # A real migration from the official ALTNAMES: a 17-digit street code that
        # became a 13-digit place, resolved through the loaded table.
        self.assertEqual(store.resolve_code("0200000600200"), "0200000600000")
        self.env.cr.execute("SELECT count(*) FROM crm_kladr_altname")
        self.assertGreater(self.env.cr.fetchone()[0], 7000)

    def _assert_failure_keeps_data(self, job, reason):
        before = self.env["crm.kladr.store"]._counts()
        job.action_run_now()
        self.assertEqual(job.state, "failed")
        self.assertRegex(job.error, reason)
        self.assertIn("previously loaded data are still in use", job.error)
        self.assertEqual(self.env["crm.kladr.store"]._counts(), before)
        self.assertTrue(self.env["crm.kladr.suggest"].suggest("city", query="Моск"))

    def test_broken_archive_keeps_previous_data(self):
        self.load_sample()
        broken = os.path.join(self.tmp, "broken.zip")
        with open(broken, "wb") as out:
            out.write(b"PK\x03\x04" + os.urandom(500))
        self._assert_failure_keeps_data(self.make_job(broken), "damaged")

    def test_truncated_7z_keeps_previous_data(self):
        self.load_sample()
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp))
        seven = os.path.join(self.tmp, "cut.7z")
        with py7zr.SevenZipFile(seven, "w") as target:
            target.write(os.path.join(folder, "KLADR.DBF"), "KLADR.DBF")
        with open(seven, "rb") as data:
            content = data.read()
        with open(seven, "wb") as out:
            out.write(content[: len(content) // 2])
        self._assert_failure_keeps_data(self.make_job(seven), "7z")

    def test_wrong_encoding_keeps_previous_data(self):
        self.load_sample()
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp), encoding="cp1251")
        job = self.make_job(zip_folder(folder, os.path.join(folder, "kladr.zip")))
        self._assert_failure_keeps_data(job, "CP866")

    def test_missing_file_keeps_previous_data(self):
        self.load_sample()
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp), skip=("ALTNAMES",))
        job = self.make_job(zip_folder(folder, os.path.join(folder, "kladr.zip")))
        self._assert_failure_keeps_data(job, "ALTNAMES.DBF missing")

    def test_errors_speak_the_users_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        folder = write_distribution(tempfile.mkdtemp(dir=self.tmp), skip=("STREET",))
        job = self.make_job(folder=folder).with_context(lang="ru_RU")
        job.action_run_now()
        self.assertIn("дистрибутив КЛАДР неполон: нет STREET.DBF", job.error)
        self.assertIn("Ранее загруженные данные по-прежнему используются", job.error)

    def test_path_escape_keeps_previous_data(self):
        self.load_sample()
        evil = os.path.join(self.tmp, "evil.zip")
        with zipfile.ZipFile(evil, "w") as target:
            target.writestr("../KLADR.DBF", b"x")
        self._assert_failure_keeps_data(self.make_job(evil), "outside")

    def test_gar_import(self):
        root = tempfile.mkdtemp(dir=self.tmp)
        write_gar_region(os.path.join(root, "77"))
        archive = os.path.join(self.tmp, "gar.zip")
        with zipfile.ZipFile(archive, "w") as target:
            for name in os.listdir(os.path.join(root, "77")):
                target.write(os.path.join(root, "77", name), f"77/{name}")
            target.writestr("77/AS_HOUSES_20240101_0a1b2c3d-0000-0000-0000-000000000003.XML",
                            b"<HOUSES/>")
            target.writestr("77/AS_HOUSES_PARAMS_20240101_0a1b2c3d-0000-0000-0000-00000005.XML",
                            b"<PARAMS/>")
        job = self.make_job(archive)
        job.action_run_now()
        self.assertEqual((job.state, job.data_format, job.places, job.streets),
                         ("done", "gar", 2, 1), job.error)
        moscow = self.env["crm.kladr.suggest"].suggest("city", query="моск")[0]
        self.assertEqual(moscow["label"], "г. Москва")
        self.assertEqual(moscow["state_id"][0], self.env.ref("base.state_ru_mow").id)
        streets = self.env["crm.kladr.suggest"].suggest("street", query="твер",
                                                        place_code=moscow["code"])
        self.assertEqual([s["label"] for s in streets], ["ул. Тверская"])
        # the postal codes of AS_ADDR_OBJ_PARAMS fill the zip, as with KLADR
        self.assertEqual(streets[0]["zip"], "125009")
        zelenograd = self.env["crm.kladr.suggest"].suggest("city", query="зелен")[0]
        self.assertEqual((zelenograd["label"], zelenograd["zip"]), ("г. Зеленоград", "124482"))
        self.assertEqual(moscow["zip"], "")  # its only postal code is not yet in force
        self.assertEqual(self.env["crm.kladr.store"].lookup("3")["zip"], "125009")
