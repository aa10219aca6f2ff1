"""Limit/offset paging that refuses what it cannot read.

DRF's stock class silently ignores ``?offset=abc`` and serves the first page; a client with a bug then loops over
page one forever. Here a bad ``limit``/``offset`` is a 400 naming the parameter."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class StrictLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 1000

    def _strict(self, request, name: str, default, cap=None):
        values = request.query_params.getlist(name)
        if not values:
            return default
        if len(values) > 1:
            raise ValidationError({name: "只能给出一次"})
        try:
            number = int(values[0])
        except ValueError:
            raise ValidationError({name: "应为非负整数"}) from None
        if number < 0 or (name == "limit" and number == 0):
            raise ValidationError({name: "应为正整数" if name == "limit" else "应为非负整数"})
        if number > 2**63 - 1:  # no database can slice that far (SQLite overflows)
            raise ValidationError({name: "数值过大"})
        return min(number, cap) if cap else number

    def get_limit(self, request):
        return self._strict(request, self.limit_query_param, self.default_limit, self.max_limit)

    def get_offset(self, request):
        return self._strict(request, self.offset_query_param, 0)
