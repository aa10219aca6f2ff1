"""The words of data collection that are not tables: the type of a data element's value.

Kept apart from :mod:`.models` so that other apps can name a value type without importing collection's models,
which are private to this app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueType(models.TextChoices):
    INTEGER = "integer", _("整数")
    NUMBER = "number", _("数值")
    PERCENT = "percent", _("百分比")
    TEXT = "text", _("文本")
    LONGTEXT = "longtext", _("长文本")


NUMERIC_TYPES = frozenset({ValueType.INTEGER, ValueType.NUMBER, ValueType.PERCENT})
TEXT_TYPES = frozenset({ValueType.TEXT, ValueType.LONGTEXT})
