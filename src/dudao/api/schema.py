"""OpenAPI generation: every operation documents the error answers it can give.

The API answers 400 (bad input, with per-field messages), 401 (no or bad token), 403 (authenticated but not
allowed to *write* here) and 404 (absent or outside the caller's subtrees — the same answer, so existence does not
leak). Declaring them once here keeps the schema honest for clients and for the schemathesis run in the tests.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    # the field "errors", not Serializer.errors: DRF's metaclass moves declared fields off the class, which the stubs
    # cannot express
    errors = serializers.DictField(child=serializers.CharField(), required=False)  # type: ignore[assignment]


ERRORS = {
    "400": "请求数据有误（errors 按字段列出）",
    "401": "未登录或令牌无效",
    "403": "无权执行此操作",
    "404": "不存在或不在您的权限范围内",
}
# answers only some operations give
EXTRA = {
    "/api/auth/token/": {"429": "登录失败次数过多，暂时锁定"},
    "/api/submissions/{id}/actions/{action}/": {"409": "当前状态下不能执行此操作"},
}


class DudaoAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = EXTRA.get(self.path, {})
        for code, description in {**ERRORS, **extra}.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code, direction=direction
                )
        return responses
