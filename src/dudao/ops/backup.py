"""Backup and restore (备份与恢复) through Django's serializers — one file that restores into SQLite or PostgreSQL
alike, so a laptop demo can become a server and a server can be inspected on a laptop.

The file is gzip'd JSON: ``{"manifest": {...}, "objects": [...], "files": {...}}``. ``files`` carries the stored
files the rows point to (published PDFs, read through Django's storage API, base64) so a backup is complete whether
storage is a directory or a bucket. The manifest records the row count per model, a SHA-256 over every data value
(org, period, element, category, value) and each stored file's SHA-256; restore checks the files first, loads the
rows in one transaction and checks both before committing, so a truncated or tampered file leaves the database (and
storage) as it was.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import datetime
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.management import call_command
from django.db import transaction

from dudao.errors import DudaoError

FORMAT = 1
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def values_digest() -> str:
    """SHA-256 of all data values in a stable order (what "the same data" means for a round trip)."""
    from dudao.collection.selectors import values_in_key_order

    digest = hashlib.sha256()
    for row in values_in_key_order():
        digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _models():
    """The models a backup carries: everything but EXCLUDE (app labels or app.model labels, as dumpdata takes them)."""
    for model in apps.get_models():
        if model._meta.app_label in EXCLUDE or model._meta.label_lower in EXCLUDE or not model._meta.managed:
            continue
        yield model


def stored_files() -> list[tuple[Storage, str]]:
    """(storage, name) of every file a FileField of a backed-up model points to."""
    from django.db.models import FileField

    found = []
    for model in _models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField):
                names = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                found += [(field.storage, name) for name in names if name]
    return found


def counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in _models()}


def backup(path: Path) -> dict:
    buffer = StringIO()
    call_command(
        "dumpdata",
        exclude=EXCLUDE,
        natural_foreign=True,
        format="json",
        stdout=buffer,
        verbosity=0,
    )
    files = {}
    for storage, name in stored_files():
        with storage.open(name, "rb") as fh:
            files[name] = fh.read()
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now().isoformat(timespec="seconds"),
        "values_sha256": values_digest(),
        "counts": counts(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        fh.write('{"manifest": ')
        json.dump(manifest, fh, ensure_ascii=False)
        fh.write(', "objects": ')
        fh.write(buffer.getvalue())
        fh.write(', "files": ')
        json.dump({name: base64.b64encode(data).decode("ascii") for name, data in files.items()}, fh)
        fh.write("}")
    tmp.replace(path)  # a crash while writing never leaves a half file under the real name
    return manifest


def read(path: Path) -> tuple[dict, list, dict]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return data["manifest"], data["objects"], data.get("files", {})
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise DudaoError(f"{path} 不是完整的 Dudao 备份文件：{exc}") from None


@transaction.atomic
def restore(path: Path) -> dict:
    manifest, objects, encoded = read(path)
    if manifest.get("format") != FORMAT:
        raise DudaoError(f"不支持的备份格式 {manifest.get('format')!r}")
    files = _checked_files(manifest.get("files", {}), encoded)
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=False)
    _load(objects)
    _reset_sequences()
    found, expected = counts(), manifest["counts"]
    wrong = {k: (found.get(k), v) for k, v in expected.items() if found.get(k) != v}
    if wrong:
        raise DudaoError(f"恢复后的行数与备份不符：{wrong}")
    if values_digest() != manifest["values_sha256"]:
        raise DudaoError("恢复后的数据值校验和与备份不符")
    _write_files(files)
    return manifest


def _checked_files(expected: dict, encoded: dict) -> dict[str, bytes]:
    """The backup's stored files, each matching the SHA-256 its manifest recorded (checked before anything is
    written, so a damaged file changes neither the database nor storage)."""
    files = {}
    for name, digest in expected.items():
        try:
            data = base64.b64decode(encoded[name], validate=True)
        except (KeyError, ValueError):
            raise DudaoError(f"备份缺少文件 {name}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise DudaoError(f"备份中的文件 {name} 与校验和不符")
        files[name] = data
    return files


def _write_files(files: dict[str, bytes]) -> None:
    """Put each file back under its own name (the rows refer to it), unless storage already has those bytes."""
    from django.core.files.storage import default_storage

    for name, data in files.items():
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as fh:
                if fh.read() == data:
                    continue
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            raise DudaoError(f"无法按原名恢复文件 {name}（存储给出 {saved}）")


def _load(objects: list) -> None:
    """Insert in bulk, one model at a time, in the dump's order (dumpdata sorts models so that what a natural key
    points to — users, content types — is already loaded when the objects referring to it are read)."""
    buffer: list = []
    deferred = []

    def flush_buffer():
        if not buffer:
            return
        model = type(buffer[0].object)
        model._base_manager.bulk_create([d.object for d in buffer], batch_size=1000)
        for d in buffer:
            for name, ids in (d.m2m_data or {}).items():
                getattr(d.object, name).set(ids)
        buffer.clear()

    for obj in serializers.deserialize("python", objects, handle_forward_references=True):
        if buffer and type(obj.object) is not type(buffer[0].object):
            flush_buffer()
        buffer.append(obj)
        if obj.deferred_fields:
            deferred.append(obj)
    flush_buffer()
    for obj in deferred:
        obj.save_deferred_fields()


def _reset_sequences() -> None:
    """PostgreSQL keeps id sequences apart from the rows; after loading explicit ids, move them past the maximum."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), list(_models()))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
