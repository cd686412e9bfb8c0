"""Unpack a distribution archive (zip or 7z) into a folder, refusing what could hurt
the server: members that escape the folder (absolute paths, "..", links), and bombs
(more members or more unpacked bytes than a real distribution has, or an absurd
compression ratio). Plain Python; zipfile and py7zr."""

from __future__ import annotations

import os
import zipfile
from pathlib import PurePosixPath

import py7zr
from py7zr.exceptions import Bad7zFile

from .errors import ClassifierError, _

# The whole-country KLADR unpacks to about 1 GB with DOMA; GAR to far more, per region.
MAX_TOTAL_BYTES = 64 * 1024**3
MAX_MEMBERS = 200_000
MAX_RATIO = 200  # DBF files compress about 10:1; a bomb compresses 1000:1 and more


class ArchiveError(ClassifierError):
    """The archive cannot be used; the message says why."""


def kind_of(path: str) -> str | None:
    with open(path, "rb") as stream:
        head = stream.read(6)
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return "zip"
    if head == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    return None


def _safe_member(name: str) -> str:
    normalized = name.replace("\\", "/")
    parts = PurePosixPath(normalized).parts
    if normalized.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise ArchiveError(_("the archive member %(name)s points outside the archive "
                             "folder; refusing the archive"), name=repr(name))
    return normalized


def _check_sizes(members: list[tuple[str, int, int]], archive_size: int, *,
                 max_total: int, max_members: int) -> None:
    if len(members) > max_members:
        raise ArchiveError(_("the archive holds %(count)s files, more than a distribution "
                             "has (%(limit)s); refusing it"),
                           count=f"{len(members):,}", limit=f"{max_members:,}")
    total = sum(size for _name, size, _packed in members)
    if total > max_total:
        raise ArchiveError(_("the archive unpacks to %(size)s bytes, more than the %(limit)s "
                             "allowed; refusing it"), size=f"{total:,}", limit=f"{max_total:,}")
    if archive_size and total / archive_size > MAX_RATIO and total > 10 * 1024**2:
        raise ArchiveError(_("the archive's compression ratio is implausible (%(ratio)s:1): "
                             "refusing a possible archive bomb"), ratio=total // archive_size)


def extract(path: str, folder: str, *, max_total: int = MAX_TOTAL_BYTES,
            max_members: int = MAX_MEMBERS, wanted=None) -> list[str]:
    """Unpack ``path`` into ``folder``; ``wanted(name) -> bool`` limits what is
    unpacked. Returns the unpacked paths."""
    kind = kind_of(path)
    archive_size = os.path.getsize(path)
    if kind == "zip":
        return _extract_zip(path, folder, archive_size, max_total, max_members, wanted)
    if kind == "7z":
        return _extract_7z(path, folder, archive_size, max_total, max_members, wanted)
    raise ArchiveError(_("the file is neither a zip nor a 7z archive"))


def _extract_zip(path, folder, archive_size, max_total, max_members, wanted):
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            for info in infos:
                _safe_member(info.filename)
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise ArchiveError(_("the archive member %(name)s is a link; refusing the "
                                         "archive"), name=repr(info.filename))
            chosen = [i for i in infos if not wanted or wanted(i.filename)]
            _check_sizes([(i.filename, i.file_size, i.compress_size) for i in chosen],
                         archive_size, max_total=max_total, max_members=max_members)
            written = []
            for info in chosen:
                target = os.path.join(folder, _safe_member(info.filename))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                budget = info.file_size
                with archive.open(info) as source, open(target, "wb") as out:
                    # The sizes in the directory can lie: count what really comes out.
                    while chunk := source.read(1024 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise ArchiveError(_("%(name)s unpacks to more than its declared "
                                                 "size; refusing the archive"),
                                               name=repr(info.filename))
                        out.write(chunk)
                written.append(target)
            return written
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ArchiveError(_("the zip archive is damaged: %(reason)s"), reason=str(exc))
    except NotImplementedError as exc:
        raise ArchiveError(_("the zip archive uses an unsupported compression: %(reason)s"),
                           reason=str(exc))


def _extract_7z(path, folder, archive_size, max_total, max_members, wanted):
    try:
        with py7zr.SevenZipFile(path, mode="r") as archive:
            infos = [info for info in archive.list() if not info.is_directory]
            for info in infos:
                _safe_member(info.filename)
                if info.is_symlink:
                    raise ArchiveError(_("the archive member %(name)s is a link; refusing the "
                                         "archive"), name=repr(info.filename))
            chosen = [i.filename for i in infos if not wanted or wanted(i.filename)]
            sizes = {i.filename: i.uncompressed for i in infos}
            _check_sizes([(name, sizes[name] or 0, 0) for name in chosen], archive_size,
                         max_total=max_total, max_members=max_members)
            # py7zr checks every member's CRC while unpacking (CrcError on damage).
            archive.extract(path=folder, targets=chosen)
        return [os.path.join(folder, _safe_member(name)) for name in chosen]
    except ArchiveError:
        raise
    except (Bad7zFile, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(_("the 7z archive is damaged: %(reason)s"), reason=str(exc))
    except Exception as exc:  # py7zr raises assorted errors on corrupt streams
        raise ArchiveError(_("the 7z archive cannot be unpacked: %(reason)s"),
                           reason=f"{type(exc).__name__}: {exc}")
