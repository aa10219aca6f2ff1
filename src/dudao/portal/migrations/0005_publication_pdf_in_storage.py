"""Publication PDFs move from a database blob to Django's storage, with their SHA-256 in the row.

Existing blobs are copied to storage (and hashed) before the column is dropped; going back copies them into the
blob again, so the migration is reversible without losing a published file."""

import hashlib

from django.core.files.base import ContentFile
from django.db import migrations, models


def blobs_to_storage(apps, schema_editor):
    Publication = apps.get_model("portal", "Publication")
    for pub in Publication.objects.exclude(pdf=None).select_related("org", "period").iterator(chunk_size=50):
        data = bytes(pub.pdf)
        if not data:
            continue
        digest = hashlib.sha256(data).hexdigest()
        pub.pdf_file.save(
            f"{pub.period.code}/{pub.org.code}-v{pub.version}-{digest[:12]}.pdf", ContentFile(data), save=False
        )
        Publication.objects.filter(pk=pub.pk).update(pdf_file=pub.pdf_file.name, pdf_sha256=digest)


def storage_to_blobs(apps, schema_editor):
    Publication = apps.get_model("portal", "Publication")
    for pub in Publication.objects.exclude(pdf_file="").iterator(chunk_size=50):
        with pub.pdf_file.open("rb") as fh:
            Publication.objects.filter(pk=pub.pk).update(pdf=fh.read())


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_batchitem")]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="pdf_file",
            field=models.FileField(
                blank=True, help_text="printed from html", max_length=255, upload_to="publications/"
            ),
        ),
        migrations.AddField(
            model_name="publication",
            name="pdf_sha256",
            field=models.CharField(blank=True, help_text="SHA-256 of the stored PDF (hex)", max_length=64),
        ),
        migrations.RunPython(blobs_to_storage, storage_to_blobs),
        migrations.RemoveField(model_name="publication", name="pdf"),
    ]
