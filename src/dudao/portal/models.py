"""Publications (报告公开): frozen versions of annual reports that the public portal shows.

A version is requested (the report's data are snapshotted as JSON at that moment), then approved by a second
person with authority over the unit — only then is it public. Publishing again supersedes the previous version,
which stays listed, so what was once disclosed never silently disappears.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .vocabulary import PublicationStatus


class Publication(models.Model):
    Status = PublicationStatus

    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="publications")
    period = models.ForeignKey("collection.Period", on_delete=models.PROTECT, related_name="publications")
    template = models.CharField(max_length=64, default="quality_annual")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    title = models.CharField(max_length=200)
    content = models.JSONField(help_text="the report snapshot (reports.builder.Report.to_json)")
    html = models.TextField(
        blank=True, max_length=20_000_000, help_text="frozen when requested: what the approver previews is published"
    )
    # The printed file lives in storage (STORAGES["default"]), its SHA-256 here: the database stays small, and the
    # hash lets anyone check a downloaded file against what was published. The HTML stays in the row — it is text,
    # the approver's preview and the source every later print comes from, and it is backed up with the data.
    pdf_file = models.FileField(upload_to="publications/", max_length=255, blank=True, help_text="printed from html")
    pdf_sha256 = models.CharField(max_length=64, blank=True, db_index=True, help_text="SHA-256 of the stored PDF (hex)")
    coverage_reason = models.TextField(
        blank=True,
        max_length=2000,
        help_text="why a district/city report was requested below the coverage minimum (data note)",
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["org__path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["org", "period", "template", "version"], name="one_version_number"),
            models.UniqueConstraint(
                fields=["org", "period", "template"],
                condition=models.Q(status="published"),
                name="one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class BatchRun(models.Model):
    """A background job that prepares (renders) every school report of a unit for publication."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey("collection.Period", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, max_length=2000)
    progressed_at = models.DateTimeField(null=True, blank=True, help_text="last sign of life from the worker")

    class Meta:
        ordering = ["-created_at"]

    STALL = timedelta(minutes=10)  # one school report takes seconds; this long without progress means the worker died

    def may_retry(self, now=None) -> bool:
        """Failed, or queued/running without progress for STALL: a retry cannot race a live worker."""
        if self.status == self.Status.FAILED:
            return True
        if self.status == self.Status.DONE:
            return False
        last = self.progressed_at or self.created_at
        return (now or timezone.now()) - last > self.STALL

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == "done" else 0)


class BatchItem(models.Model):
    """One school of a batch: the unit of work a worker claims (排队 → 领取 → 完成).

    Workers — processes on one machine or several sharing the database — take items by compare-and-set
    (``UPDATE … WHERE status='queued'`` on one row), so no two of them render the same report. A claim older than
    ``BATCH_CLAIM_TIMEOUT`` belongs to a worker that died; it goes back to the queue and the batch resumes."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        CLAIMED = "claimed", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    batch = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="items")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker holding the claim")
    claimed_at = models.DateTimeField(null=True, blank=True)
    publication = models.ForeignKey(Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "school"], name="one_item_per_school")]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.school_id} {self.status}"
