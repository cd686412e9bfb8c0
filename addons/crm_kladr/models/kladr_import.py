"""One import of the classifier: an uploaded archive, a server folder or a download
from the FNS service. It runs in the background (the scheduled action picks queued
imports up), shows its progress, and replaces the loaded data only when it is
complete: any error leaves the previous data serving."""

import base64
import logging
import os
import shutil
import tempfile
import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..utils import loader
from ..utils.archive import ArchiveError, extract
from ..utils.errors import ClassifierError
from ..utils.fns import FnsDownloadService, FnsServiceError, plan_update
from ..utils.gar import GarFormatError
from ..utils.kladr import KladrFormatError

_logger = logging.getLogger(__name__)

FORMAT_ERRORS = (ArchiveError, KladrFormatError, GarFormatError)


def _wanted(name):
    """What to unpack: the KLADR tables and GAR's object, hierarchy and object
    parameter (postal codes) files (a GAR archive also holds houses, rooms and their
    parameters we do not use, tens of GB)."""
    base = os.path.basename(name).upper()
    return (base.endswith(".DBF") or base.startswith("AS_ADDR_OBJ_PARAMS_")
            or base.startswith("AS_ADDR_OBJ_2") or base.startswith("AS_ADM_HIERARCHY_2")
            or base.startswith("AS_ADDR_OBJ_1") or base.startswith("AS_ADM_HIERARCHY_1"))


class CrmKladrImport(models.Model):
    _name = "crm.kladr.import"
    _description = "Address classifier import"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda self: _("Address classifier import"))
    origin = fields.Selection(
        [("upload", "Uploaded archive"), ("folder", "Server folder"),
         ("service", "FNS download service")],
        required=True, default="upload")
    archive = fields.Binary(attachment=True, help="The KLADR archive (7z or zip, as "
                            "published by the FNS) or a GAR XML zip.")
    archive_name = fields.Char()
    folder = fields.Char(help="A folder on the Odoo server holding the unpacked files "
                              "(KLADR.DBF, STREET.DBF, SOCRBASE.DBF, ALTNAMES.DBF, "
                              "optionally DOMA.DBF; or GAR region folders).")
    data_format = fields.Selection([("kladr", "KLADR (DBF)"), ("gar", "FIAS / GAR (XML)")],
                                   readonly=True)
    version = fields.Char(readonly=True, help="The FNS version number of the data.")
    is_delta = fields.Boolean("GAR delta", readonly=True,
                              help="Changes since the previous GAR version, applied on top "
                                   "of the loaded data.")
    version_date = fields.Date(readonly=True)
    state = fields.Selection(
        [("draft", "Draft"), ("queued", "Queued"), ("running", "Running"),
         ("done", "Done"), ("failed", "Failed")],
        default="draft", required=True, readonly=True)
    progress = fields.Float(readonly=True, help="Percent done")
    progress_message = fields.Char(readonly=True)
    error = fields.Text(readonly=True)
    places = fields.Integer(readonly=True)
    streets = fields.Integer(readonly=True)
    houses = fields.Integer(readonly=True)
    started = fields.Datetime(readonly=True)
    finished = fields.Datetime(readonly=True)
    duration = fields.Float(readonly=True, help="Seconds")

    @api.constrains("origin", "folder")
    def _check_folder(self):
        for job in self:
            if job.origin == "folder" and job.folder and not os.path.isabs(job.folder):
                raise UserError(_("The folder must be an absolute path on the Odoo server."))

    # ------------------------------------------------------------------ actions
    def action_start(self):
        for job in self:
            if job.origin == "upload" and not job.archive:
                raise UserError(_("Choose the archive to import first."))
            if job.origin == "folder" and not (job.folder and os.path.isdir(job.folder)):
                raise UserError(_("The folder %s does not exist on the Odoo server.",
                                  job.folder or ""))
        self.write({"state": "queued", "progress": 0, "error": False,
                    "progress_message": _("Waiting for the scheduled action")})
        self.env.ref("crm_kladr.ir_cron_kladr_import")._trigger()
        return True

    def action_run_now(self):
        """Run in this request (small files, or an administrator who prefers to wait)."""
        self.action_start()
        for job in self:
            job._run()
        return True

    @api.model
    def _cron_process_queue(self, commit=False):
        """``commit`` (the scheduled action passes it): commit after each step, so the
        progress is visible live and one import's failure does not undo another's."""
        live = bool(commit)
        for job in self.search([("state", "=", "queued")], order="id"):
            job.write({"state": "running", "started": fields.Datetime.now()})
            if live:
                # committed now, so the progress written from another transaction
                # does not wait for this one's row lock
                self.env.cr.commit()
            job.with_context(kladr_live_progress=live)._run()
            if live:
                self.env.cr.commit()
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param("crm_kladr.update_requested"):
            params.set_param("crm_kladr.update_requested", False)
            if live:
                self.env.cr.commit()
            self._check_updates(commit=live)

    # ------------------------------------------------------------------ work
    def _set_progress(self, fraction, message):
        self._write_job({"progress": round(100 * min(max(fraction, 0), 1), 1),
                         "progress_message": message})

    def _write_job(self, values):
        """In the scheduled action, the job's row is written by short transactions of
        its own, so other users see the progress while the import's long transaction
        is open (and that transaction never touches the row: no lock wait, no
        serialization failure). Elsewhere (a button, the tests) a plain write."""
        if not self.env.context.get("kladr_live_progress"):
            self.write(values)
            self._notify_progress()
            return
        with self.env.registry.cursor() as cr:
            job = self.with_env(self.env(cr=cr))
            job.write(values)
            job._notify_progress()  # delivered when this short transaction commits
        self.invalidate_recordset()

    def _notify_progress(self):
        """Tell the open import forms that the job moved: a bus notification to the
        administrators (the only users who see imports); the form re-reads the job
        when it arrives."""
        admins = self.env["res.users"].sudo().search(
            [("groups_id", "in", self.env.ref("base.group_system").id), ("share", "=", False)])
        bus = self.env["bus.bus"].sudo()
        for job in self:
            payload = {"id": job.id, "state": job.state, "progress": job.progress,
                       "progress_message": job.progress_message or ""}
            for partner in admins.partner_id:
                bus._sendone(partner, "crm_kladr.import_progress", payload)

    def _run(self, source_path=None):
        """Import, recording the outcome on the job. ``source_path`` (an archive or a
        folder) overrides the job's own source (the update service passes its
        download)."""
        self.ensure_one()
        started = time.monotonic()
        if self.state != "running":
            self.write({"state": "running", "started": fields.Datetime.now()})
        workdir = tempfile.mkdtemp(prefix="crm_kladr_")
        try:
            with self.env.cr.savepoint():
                counts = self._import(source_path, workdir)
            self._set_progress(1, _("Done"))
        except FORMAT_ERRORS as exc:
            _logger.warning("Address classifier import %s failed: %s", self.id, exc)
            self._write_job({
                "state": "failed", "progress": 0, "progress_message": False,
                "finished": fields.Datetime.now(), "duration": time.monotonic() - started,
                "error": _("%(reason)s. The previously loaded data are still in use.",
                           reason=self._reason(exc).rstrip("."))})
            return False
        except Exception:
            _logger.exception("Address classifier import %s failed", self.id)
            self._write_job({
                "state": "failed", "progress": 0, "progress_message": False,
                "finished": fields.Datetime.now(), "duration": time.monotonic() - started,
                "error": _("An unexpected error stopped the import (see the server log). "
                           "The previously loaded data are still in use.")})
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        # the uploaded archive is not kept once loaded (hundreds of MB in the filestore)
        self._write_job(dict(counts, state="done", finished=fields.Datetime.now(),
                             error=False, duration=time.monotonic() - started,
                             archive=False))
        _logger.info("Address classifier import %s (%s): %s places, %s streets, %s houses "
                     "in %.0f s", self.id, counts["data_format"], counts["places"],
                     counts["streets"],
                     counts["houses"], time.monotonic() - started)
        return True

    def _reason(self, error):
        """A classifier error in the user's language."""
        if isinstance(error, ClassifierError):
            return self.env._(error.template, **error.params)
        return str(error)

    def _source_folder(self, source_path, workdir):
        if source_path and os.path.isdir(source_path):
            return source_path
        if source_path:
            archive_path = source_path
        elif self.origin == "folder":
            if not (self.folder and os.path.isdir(self.folder)):
                raise KladrFormatError(_("the folder %s does not exist on the Odoo server",
                                         self.folder or ""))
            return self.folder
        else:
            if not self.archive:
                raise ArchiveError(_("no archive was uploaded"))
            archive_path = os.path.join(workdir, "upload")
            with open(archive_path, "wb") as out:
                out.write(base64.b64decode(self.with_context(bin_size=False).archive))
        self._set_progress(0.01, _("Unpacking the archive"))
        unpacked = os.path.join(workdir, "unpacked")
        os.makedirs(unpacked)
        extract(archive_path, unpacked, wanted=_wanted)
        return unpacked

    def _import(self, source_path, workdir):
        folder = self._source_folder(source_path, workdir)
        data_format = loader.detect(folder)
        store = self.env["crm.kladr.store"]
        if self.is_delta:
            if data_format != "gar":
                raise KladrFormatError(_("a delta must be a GAR XML archive"))
            data = loader.read_gar_delta(folder, store._known_place,
                                         progress=self._set_progress)
            self._set_progress(0.6, _("Applying the changes"))
            places, streets = store._apply_delta(data["places"], data["streets"],
                                                 data["seen"], data["zips"])
            return {"places": places, "streets": streets, "houses": 0,
                    "data_format": data_format}
        reader = loader.read_kladr if data_format == "kladr" else loader.read_gar
        data = reader(folder, progress=self._set_progress)
        store._begin_load()
        self._set_progress(0.15, _("Loading places"))
        places = store._load_places(data["places"], data["aliases"])
        store._load_altnames(data["altnames"])
        self._set_progress(0.25, _("Loading streets"))
        streets = store._load_streets(data["streets"])
        self._set_progress(0.75, _("Loading houses"))
        houses = store._load_houses(data["houses"])
        if not places:
            raise KladrFormatError(_("the distribution holds no current place"))
        self._set_progress(0.85, _("Indexing"))
        store._finish_load()
        return {"places": places, "streets": streets, "houses": houses,
                "data_format": data_format}

    # ------------------------------------------------------------------ updates
    @api.model
    def _loaded(self):
        """(format, version) of the data in use: the last import that succeeded."""
        last = self.search([("state", "=", "done")], order="finished desc, id desc", limit=1)
        version = int(last.version) if last.version and last.version.isdigit() else None
        return last.data_format or None, version

    @api.model
    def _cron_check_updates(self):
        self._check_updates(commit=True)

    @api.model
    def _check_updates(self, commit=False):
        """Ask the FNS service for its releases, download what is newer than the loaded
        data and import it. Returns the jobs made (a failed one says why)."""
        params = self.env["ir.config_parameter"].sudo()
        data_format = params.get_param("crm_kladr.update_format") or "kladr"
        service = FnsDownloadService(
            params.get_param("crm_kladr.fns_url") or "https://fias.nalog.ru",
            protocol=params.get_param("crm_kladr.fns_protocol") or "json")
        loaded_format, loaded_version = self._loaded()
        try:
            releases = service.all()
            if not releases:
                releases = [service.last()]
        except FnsServiceError as exc:
            _logger.warning("FNS download service: %s", exc)
            return self.create({
                "name": _("Update check"), "origin": "service", "state": "failed",
                "error": _("The FNS download service could not be asked: %(reason)s. "
                           "Check its address in the settings; the loaded data are "
                           "unchanged.", reason=self._reason(exc))})
        jobs = self.browse()
        for kind, release in plan_update(releases, data_format, loaded_format,
                                         loaded_version):
            url = (release.kladr_7z_url if data_format == "kladr"
                   else release.gar_delta_url if kind == "delta" else release.gar_full_url)
            job = self.create({
                "name": release.text or _("FNS release %s", release.version_id),
                "origin": "service", "version": str(release.version_id),
                "version_date": release.date, "is_delta": kind == "delta",
                "state": "running", "started": fields.Datetime.now()})
            jobs |= job
            if commit:
                self.env.cr.commit()
            job = job.with_context(kladr_live_progress=commit)
            workdir = tempfile.mkdtemp(prefix="crm_kladr_download_")
            try:
                try:
                    job._set_progress(0, _("Downloading %s", url))
                    path = service.download(url, workdir)
                except FnsServiceError as exc:
                    _logger.warning("FNS download of %s failed: %s", url, exc)
                    job._write_job({
                        "state": "failed", "finished": fields.Datetime.now(),
                        "error": _("%(reason)s. The previously loaded data are still in "
                                   "use.", reason=self._reason(exc))})
                    break
                done = job._run(source_path=path)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            if commit:
                self.env.cr.commit()
            if not done:
                break  # a later delta cannot apply on top of a missing one
        return jobs
