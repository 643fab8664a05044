"""Uploaded export files parked under data_dir/uploads between the preview (dry run) and the apply.

Written in chunks from the request's spooled file, so a gigabyte upload never sits in memory.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...errors import NotFound, ValidationFailed

CHUNK = 1024 * 1024
MAX_UPLOAD_BYTES = 4 * 1024**3  # sanity bound: far above any real export, below a full disk
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class StoredUpload:
    upload_id: str
    path: Path
    filename: str
    size: int


def _folder(data_dir: Path) -> Path:
    folder = Path(data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def save(data_dir: Path, source: BinaryIO, filename: str | None) -> StoredUpload:
    """Copy an uploaded stream to a new random id (the id is the only handle the browser gets back)."""
    upload_id = secrets.token_hex(16)
    folder = _folder(data_dir)
    path = folder / f"{upload_id}.upload"
    size = 0
    with open(path, "wb") as target:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                target.close()
                path.unlink(missing_ok=True)
                raise ValidationFailed("The file is larger than 4 GB.", code="file_too_large")
            target.write(chunk)
    name = Path(filename or "upload").name[:200]
    (folder / f"{upload_id}.json").write_text(json.dumps({"filename": name, "size": size}, ensure_ascii=False))
    return StoredUpload(upload_id, path, name, size)


def load(data_dir: Path, upload_id: str) -> StoredUpload:
    if not _ID.match(upload_id or ""):
        raise NotFound("unknown upload", code="upload_not_found")
    folder = _folder(data_dir)
    path = folder / f"{upload_id}.upload"
    if not path.is_file():
        raise NotFound("this upload no longer exists (already applied?); upload the file again",
                       code="upload_not_found")
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text())
    except (OSError, ValueError):
        meta = {}
    return StoredUpload(upload_id, path, meta.get("filename", "upload"), path.stat().st_size)


def delete(data_dir: Path, upload_id: str) -> None:
    folder = _folder(data_dir)
    for suffix in (".upload", APPLYING, ".json"):
        (folder / f"{upload_id}{suffix}").unlink(missing_ok=True)


# An upload being imported by the upload page's Apply is renamed to this suffix first: the rename is atomic, so of two
# Applies of one preview (a double click, a second tab, a reload of the POST) only one imports the file.
APPLYING = ".applying"


def claim(data_dir: Path, upload_id: str) -> StoredUpload | None:
    """Take a parked upload for importing it (renamed to APPLYING); None when another request took it already, or it
    is gone. Raises NotFound for an id that is no upload id."""
    if not _ID.match(upload_id or ""):
        raise NotFound("unknown upload", code="upload_not_found")
    folder = _folder(data_dir)
    taken = folder / f"{upload_id}{APPLYING}"
    try:
        (folder / f"{upload_id}.upload").rename(taken)
    except FileNotFoundError:
        return None
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text())
    except (OSError, ValueError):
        meta = {}
    return StoredUpload(upload_id, taken, meta.get("filename", "upload"), taken.stat().st_size)


def claim_for_apply(data_dir: Path, upload_id: str) -> StoredUpload | None:
    """Take a previewed upload for its Apply (the import page's, the bulk ship page's): the upload, or None when an
    Apply took it already (done, or running right now): the caller then shows that Apply's result page, so a double
    click or a second tab does the work once. Raises NotFound when it was never parked, or was swept."""
    claimed = claim(data_dir, upload_id)
    if claimed is None and load_result(data_dir, upload_id) is None and not applying(data_dir, upload_id):
        load(data_dir, upload_id)  # raises: 404 upload_not_found
        claimed = claim(data_dir, upload_id)  # there after all: put back by an Apply that broke a moment ago
    return claimed


def release(data_dir: Path, claimed: StoredUpload) -> None:
    """Put back a claimed upload whose import broke, so that Apply can be tried again."""
    claimed.path.rename(_folder(data_dir) / f"{claimed.upload_id}.upload")


def applying(data_dir: Path, upload_id: str) -> bool:
    """Whether a request is importing this upload right now."""
    return bool(_ID.match(upload_id or "")) and (_folder(data_dir) / f"{upload_id}{APPLYING}").is_file()


def save_note(data_dir: Path, upload_id: str, kind: str, data: dict) -> None:
    """Keep something about a parked upload beside it (written whole or not at all), swept with the parked files:
    Apply's result ("result": its rejected rows quote the file), what a preview showed ("seen")."""
    folder = _folder(data_dir)
    partial = folder / f"{upload_id}.{kind}.part"
    partial.write_text(json.dumps(data, ensure_ascii=False))
    partial.rename(folder / f"{upload_id}.{kind}.json")


def load_note(data_dir: Path, upload_id: str, kind: str) -> dict | None:
    """A note kept by save_note, or None (never written, swept, or no upload id at all)."""
    if not _ID.match(upload_id or ""):
        return None
    try:
        return json.loads((_folder(data_dir) / f"{upload_id}.{kind}.json").read_text())
    except (OSError, ValueError):
        return None


def delete_note(data_dir: Path, upload_id: str, kind: str) -> None:
    if _ID.match(upload_id or ""):
        (_folder(data_dir) / f"{upload_id}.{kind}.json").unlink(missing_ok=True)


def save_result(data_dir: Path, upload_id: str, result: dict) -> None:
    """Keep what Apply did, for its result page."""
    save_note(data_dir, upload_id, "result", result)


def load_result(data_dir: Path, upload_id: str) -> dict | None:
    """What Apply did with this upload, or None (not applied yet, swept, or no upload id at all)."""
    return load_note(data_dir, upload_id, "result")


# A file parked for a preview that was never applied is deleted after this long: export files hold buyer names,
# phones and addresses in clear, and the desk keeps those encrypted (its parked copies included, once gone).
KEEP_PARKED_SECONDS = 24 * 3600


def sweep(data_dir: Path, now: float, keep: set[str] = frozenset()) -> int:
    """Delete parked uploads (and their notes, and Apply's results) last written more than KEEP_PARKED_SECONDS
    before ``now`` (a Unix time, as file times are), except the ``keep`` ids (files a job is still working on).
    Returns how many."""
    removed = 0
    for path in _folder(data_dir).iterdir():
        upload_id = path.name.split(".", 1)[0]
        if upload_id in keep or path.suffix not in (".upload", ".json", APPLYING, ".part"):
            continue
        try:
            old = now - path.stat().st_mtime > KEEP_PARKED_SECONDS
        except FileNotFoundError:  # deleted meanwhile (applied, or its note swept with it)
            continue
        if old:
            path.unlink(missing_ok=True)
            removed += path.suffix == ".upload"
    return removed

