"""Data elements, data sets (forms), periods, campaigns, submissions and values (数据采集).

Vocabulary follows DHIS2: a *data value* is keyed by (data element, period, org unit, category option); a *campaign*
(采集任务) asks the participating schools to fill one data set for one period; a *submission* is one school's answer to
one campaign and carries the review state. Catalog tables (elements, data sets, rules) are loaded from YAML; the
admin shows them but YAML stays the source of truth.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .vocabulary import NUMERIC_TYPES, ValueType


class DataElement(models.Model):
    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    value_type = models.CharField(_("类型"), max_length=16, choices=ValueType.choices)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    decimals = models.PositiveSmallIntegerField(default=0)
    minimum = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    maximum = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    required = models.BooleanField(default=True)
    help_text = models.TextField(blank=True, max_length=2000)

    class Meta:
        verbose_name = _("数据元")
        verbose_name_plural = _("数据元")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_numeric(self) -> bool:
        return self.value_type in NUMERIC_TYPES


class DataSet(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    period_type = models.CharField(max_length=16, default="yearly")
    spec = models.JSONField(default=dict, help_text="the YAML definition, kept for rules and participants")

    class Meta:
        verbose_name = _("数据集")
        verbose_name_plural = _("数据集")

    def __str__(self) -> str:
        return self.name


class DataSetElement(models.Model):
    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="members")
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="memberships")
    section_code = models.SlugField(max_length=64)
    section_name = models.CharField(max_length=64)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]
        constraints = [
            # an element code is declared in one data set only (collection.catalog refuses a second declaration)
            models.UniqueConstraint(fields=["element"], name="element_in_one_dataset"),
        ]


class ValidationRule(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error", _("错误")
        WARNING = "warning", _("警告")

    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="rules")
    code = models.SlugField(max_length=64)
    expression = models.CharField(max_length=2000)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    message = models.CharField(max_length=255)

    class Meta:
        unique_together = [("dataset", "code")]
        verbose_name = _("校验规则")
        verbose_name_plural = _("校验规则")

    def __str__(self) -> str:
        return self.message


class Period(models.Model):
    code = models.CharField(max_length=16, unique=True)  # "2020"
    name = models.CharField(max_length=32)
    start = models.DateField()
    end = models.DateField()

    class Meta:
        ordering = ["start"]

    def __str__(self) -> str:
        return self.name

    def previous(self) -> "Period | None":
        return Period.objects.filter(end__lt=self.start).order_by("-end").first()


class Campaign(models.Model):
    """采集任务: one data set × one period × the participating schools × a review workflow."""

    name = models.CharField(_("名称"), max_length=128)
    dataset = models.ForeignKey(DataSet, on_delete=models.PROTECT, related_name="campaigns")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="campaigns")
    workflow = models.CharField(max_length=32, default="default")
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    owner = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="owned_campaigns")

    class Meta:
        ordering = ["-period__start", "name"]
        unique_together = [("dataset", "period")]
        verbose_name = _("采集任务")
        verbose_name_plural = _("采集任务")

    def __str__(self) -> str:
        return self.name

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at <= self.closes_at


class Submission(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="submissions")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="submissions")
    state = models.CharField(max_length=32, default="draft", db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        unique_together = [("campaign", "org")]
        ordering = ["org__path"]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.org.name}"


class DataValue(models.Model):
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="values")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="values")
    category_option = models.CharField(max_length=64, blank=True, default="")
    value = models.TextField(blank=True, max_length=20000)
    number = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    # counts every save, so a form read before someone else's save is refused instead of overwriting it
    # (dudao.concurrency); 0 stands for "no value yet" in a form, so a stored value starts at 1
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "version"])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["element", "period", "org", "category_option"], name="one_value_per_key")
        ]
        indexes = [
            models.Index(fields=["period", "org"]),
            # covering index for the analytics extract: the scan never touches the wide rows (text values)
            models.Index(fields=["category_option", "org", "period", "element", "number"], name="datavalue_numeric"),
        ]

    def __str__(self) -> str:
        return f"{self.element.code}@{self.org.code}/{self.period.code}={self.value}"


class Explanation(models.Model):
    """说明: a school's written answer to a warning (rule or outlier) before it may submit."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="explanations")
    key = models.CharField(max_length=128)  # rule code or "outlier:<element>"
    text = models.TextField(max_length=20000)
    version = models.PositiveIntegerField(default=1)  # dudao.concurrency: a stale form does not overwrite
    history = HistoricalRecords()

    class Meta:
        unique_together = [("submission", "key")]
