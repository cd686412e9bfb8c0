"""The 1C / 1C-Bitrix exchange protocol, the site side, as plain Python.

Replies (``success`` / ``progress`` / ``failure`` lines in the encoding 1C reads), the
exchange folder (appending uploads with safe names and a size limit, emptied at init),
safe zip extraction (no path escape, no bombs) and a signed session cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import stat
import time
import zipfile

COOKIE_NAME = "crm_cml_session"
SESSION_TTL = 3600 * 4
CATALOG_MODES = ("checkauth", "init", "file", "import", "deactivate", "complete", "info")
SALE_MODES = ("checkauth", "init", "query", "success", "file", "import", "info")
ZIP_MAX_RATIO = 200  # a real XML zips 10-30x; more than this is a bomb
ZIP_MAX_MEMBERS = 100_000


class ProtocolError(Exception):
    """A request refused with a reason 1C shows to its user (a ``failure`` reply)."""


def encode_reply(text: str, *, charset: str = "windows-1251") -> bytes:
    """1C reads the plain-text replies in windows-1251 (what Bitrix sends)."""
    return text.encode(charset, errors="replace")


def reply_success(*lines: str) -> str:
    return "\n".join(("success", *lines))


def reply_progress(message: str) -> str:
    return "progress\n" + message


def reply_failure(reason: str) -> str:
    # one line of reason: 1C shows the second line to its user
    return "failure\n" + " ".join(str(reason).split())


def reply_init(zip_allowed: bool, file_limit: int) -> str:
    return f"zip={'yes' if zip_allowed else 'no'}\nfile_limit={int(file_limit)}"


# -- session cookie -----------------------------------------------------------------------

def sign_session(secret: str, uid: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_TTL)
    payload = f"{uid}.{expires}"
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{payload}.{mac}"


def check_session(secret: str, value: str, now: float | None = None) -> int | None:
    """The uid a cookie was issued to, or None when forged or expired."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(mac, parts[2]):
        return None
    if int(parts[1]) < (now or time.time()):
        return None
    return int(parts[0])


# -- file names and the exchange folder ------------------------------------------------------

_SAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_relative_name(name: str) -> str:
    """A relative path inside the exchange folder from whatever 1C or a zip says.

    Windows or POSIX, absolute or not, with ``..`` or drive letters: only the plain
    components survive (``import_files/ab/abc.jpg`` keeps its folders, ``C:\\x\\..\\y.xml``
    becomes ``y.xml``... no component may be ``..``).
    """
    text = (name or "").replace("\\", "/")
    text = re.sub(r"^[a-zA-Z]:", "", text)
    parts = []
    for part in text.split("/"):
        part = part.strip()
        if part in ("", ".", ".."):
            continue
        part = _SAFE.sub("_", part)[:120]
        if part.strip("._"):
            parts.append(part)
    if not parts:
        raise ProtocolError("the file name is empty or not allowed")
    # 1C sends either a bare name or import_files/...; everything else goes flat
    if parts[0] != "import_files":
        parts = parts[-1:]
    return "/".join(parts[-6:])


class ExchangeFolder:
    """The folder one exchange type's uploads land in."""

    def __init__(self, root: str, max_bytes: int):
        self.root = os.path.realpath(root)
        self.max_bytes = max_bytes

    def path(self, relative: str) -> str:
        path = os.path.realpath(os.path.join(self.root, relative))
        if not (path == self.root or path.startswith(self.root + os.sep)):
            raise ProtocolError("the file name points outside the exchange folder")
        return path

    def clear(self) -> None:
        if os.path.isdir(self.root):
            shutil.rmtree(self.root)
        os.makedirs(self.root, exist_ok=True)

    def append(self, filename: str, stream, chunk_size: int = 1 << 16) -> tuple[str, int]:
        """Append the body to the file (1C splits big files); returns (name, size)."""
        relative = safe_relative_name(filename)
        path = self.path(relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = os.path.getsize(path) if os.path.exists(path) else 0
        with open(path, "ab") as fh:
            while True:
                chunk = stream.read(chunk_size)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    fh.close()
                    os.remove(path)
                    raise ProtocolError(
                        f"{relative} is larger than the file size limit of "
                        f"{self.max_bytes} bytes set in Odoo; it was removed")
                fh.write(chunk)
        return relative, size

    def files(self) -> list[str]:
        found = []
        for base, _dirs, names in os.walk(self.root):
            for name in names:
                found.append(os.path.relpath(os.path.join(base, name), self.root))
        return sorted(found)

    def unpack_zip(self, relative: str) -> list[str]:
        """Extract a zip in place, refusing bombs and escaping paths; removes the zip."""
        path = self.path(relative)
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise ProtocolError(f"{relative} is not a valid zip archive") from None
        with archive:
            members = archive.infolist()
            if len(members) > ZIP_MAX_MEMBERS:
                raise ProtocolError(f"{relative} holds too many files")
            total = sum(m.file_size for m in members)
            packed = max(1, sum(m.compress_size for m in members))
            if total > self.max_bytes:
                raise ProtocolError(
                    f"{relative} unpacks to {total} bytes, over the file size limit of "
                    f"{self.max_bytes} bytes")
            if total > 1 << 20 and total / packed > ZIP_MAX_RATIO:
                raise ProtocolError(f"{relative} looks like a zip bomb (ratio "
                                    f"{total // packed}:1); refused")
            targets = []
            for member in members:
                name = member.filename.replace("\\", "/")
                mode = member.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise ProtocolError(f"{relative} holds a symbolic link; refused")
                if name.startswith("/") or re.match(r"^[a-zA-Z]:", name) or ".." in (
                        name.split("/")):
                    raise ProtocolError(
                        f"{relative} holds {member.filename!r}, a path outside the "
                        "exchange folder; refused")
                if member.is_dir():
                    continue
                targets.append((member, self.path(safe_relative_name(name))))
            written = 0
            extracted = []
            for member, target in targets:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(member) as src, open(target, "wb") as dst:
                    while True:
                        # the declared sizes may lie: count what really comes out
                        chunk = src.read(1 << 16)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > self.max_bytes:
                            raise ProtocolError(
                                f"{relative} unpacks to more than the file size limit")
                        dst.write(chunk)
                extracted.append(os.path.relpath(target, self.root))
        os.remove(path)
        return extracted
