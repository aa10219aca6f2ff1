import base64

from django import template

register = template.Library()


@register.filter
def kind(block) -> str:
    return type(block).__name__


@register.filter
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@register.filter
def qr_data_uri(url: str) -> str:
    """``url`` as a QR code (an SVG data URI) — printed beside the verification link so a reader of the paper copy
    reaches the page that checks the file's hash."""
    import segno  # pure Python: no image library needed

    data_uri: str = segno.make(url, error="m").svg_data_uri(scale=3, border=2)
    return data_uri


@register.filter
def short_hash(sha256: str) -> str:
    """The first 12 hex digits: enough to tell statements apart in print; the full hash is checked online."""
    return sha256[:12]
