"""Backup and restore (备份与恢复) through Django's serializers — one file that restores into SQLite or PostgreSQL
alike, so a laptop demo can become a server and a server can be inspected on a laptop.

The file is gzip'd JSON: ``{"manifest": {...}, "objects": [...]}``. The manifest records the row count per model and
a SHA-256 over every data value (org, period, element, category, value); restore loads everything in one
transaction and checks both before committing, so a truncated or tampered file leaves the database as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.core import serializers
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
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now().isoformat(timespec="seconds"),
        "values_sha256": values_digest(),
        "counts": counts(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        fh.write('{"manifest": ')
        json.dump(manifest, fh, ensure_ascii=False)
        fh.write(', "objects": ')
        fh.write(buffer.getvalue())
        fh.write("}")
    tmp.replace(path)  # a crash while writing never leaves a half file under the real name
    return manifest


def read(path: Path) -> tuple[dict, list]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return data["manifest"], data["objects"]
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise DudaoError(f"{path} 不是完整的 Dudao 备份文件：{exc}") from None


@transaction.atomic
def restore(path: Path) -> dict:
    manifest, objects = read(path)
    if manifest.get("format") != FORMAT:
        raise DudaoError(f"不支持的备份格式 {manifest.get('format')!r}")
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=False)
    _load(objects)
    _reset_sequences()
    found, expected = counts(), manifest["counts"]
    wrong = {k: (found.get(k), v) for k, v in expected.items() if found.get(k) != v}
    if wrong:
        raise DudaoError(f"恢复后的行数与备份不符：{wrong}")
    if values_digest() != manifest["values_sha256"]:
        raise DudaoError("恢复后的数据值校验和与备份不符")
    return manifest


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
