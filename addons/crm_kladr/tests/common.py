import base64
import os
import shutil
import tempfile

from odoo.tests import TransactionCase

from .kladr_files import write_distribution, zip_folder


class KladrCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="kladr_case_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    @classmethod
    def make_job(cls, archive_path=None, folder=None):
        if folder:
            return cls.env["crm.kladr.import"].create({"origin": "folder", "folder": folder})
        with open(archive_path, "rb") as data:
            return cls.env["crm.kladr.import"].create({
                "origin": "upload", "archive": base64.b64encode(data.read()),
                "archive_name": os.path.basename(archive_path)})

    @classmethod
    def load_sample(cls, **options):
        folder = write_distribution(tempfile.mkdtemp(dir=cls.tmp), **options)
        job = cls.make_job(zip_folder(folder, os.path.join(folder, "kladr.zip")))
        job.action_run_now()
        if job.state != "done":
            raise AssertionError(f"the sample import failed: {job.error}")
        return job

    def city_labels(self, query, **kwargs):
        return [(c["label"], c["description"]) for c in
                self.env["crm.kladr.suggest"].suggest("city", query=query, **kwargs)]
