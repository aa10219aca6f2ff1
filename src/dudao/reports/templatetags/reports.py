import base64

from django import template

register = template.Library()


@register.filter
def kind(block) -> str:
    return type(block).__name__


@register.filter
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
