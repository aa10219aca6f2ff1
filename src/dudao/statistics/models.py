"""Public statistics imports (公开统计数据导入): where a published figure came from.

The figures themselves are collection values (data set ``public_statistics``, workflow ``statistics``), so the
indicator engine reads them like any approved value. This app keeps their *provenance*: the publication
(:class:`Source` — 《2020年上海市教育事业统计》, 上海市教育委员会, its date and link), each import of a table from it
(:class:`Import`: who, when, which file, for which period) and every value the import brought
(:class:`ImportedValue`). A later import of the same unit, period and element replaces the figure; the earlier row
stays, no longer ``current``, so the page can show what was replaced and the report prints only the source of the
figure it shows.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    """A publication that statistics are taken from (数据来源)."""

    name = models.CharField(_("名称"), max_length=200)
    publisher = models.CharField(_("发布单位"), max_length=200)
    published_on = models.DateField(_("发布日期"))
    link = models.URLField(_("链接"), max_length=500, blank=True)

    class Meta:
        ordering = ["-published_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "publisher", "published_on"], name="one_source_per_publication")
        ]
        verbose_name = _("数据来源")
        verbose_name_plural = _("数据来源")

    def __str__(self) -> str:
        return self.name

    @property
    def citation(self) -> str:
        """How a report prints it: 《…》（发布单位，YYYY年M月D日）."""
        name = self.name if self.name.startswith("《") else f"《{self.name}》"
        day = self.published_on
        return f"{name}（{self.publisher}，{day.year}年{day.month}月{day.day}日）"


class Import(models.Model):
    """One table imported from a source for one period."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="imports")
    period = models.ForeignKey("collection.Period", on_delete=models.PROTECT, related_name="statistics_imports")
    file_name = models.CharField(_("文件名"), max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="statistics_imports"
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("统计数据导入")
        verbose_name_plural = _("统计数据导入")

    def __str__(self) -> str:
        return f"{self.source} · {self.period} · {self.file_name}"


class ImportedValue(models.Model):
    """One figure an import brought: unit, element, number. ``current`` until a later import replaces it."""

    batch = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="values")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="imported_statistics")
    element_code = models.CharField(max_length=64)
    number = models.DecimalField(max_digits=24, decimal_places=6)
    current = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["element_code", "org", "current"])]

    def __str__(self) -> str:
        return f"{self.element_code}@{self.org_id}={self.number}"
