"""The shipped CJK fonts: verified on fetch, used by file by WeasyPrint, matplotlib, python-docx; missing ones refused.

The render tests need the fonts fetched (``dudao fonts``, which ./test.sh runs); the fetcher tests use a fake
registry of local files and no network.
"""

import base64
import hashlib
import io
import json
import tarfile
import warnings

import pdfplumber
import pytest
from docx.oxml.ns import qn
from matplotlib import font_manager

from dudao import documents, fonts
from dudao.errors import DudaoError
from dudao.reports import charts

TITLE = "上海市中等职业教育质量年度报告（2021年）"


def pdf_of(html: str, tmp_path):
    out = tmp_path / "t.pdf"
    out.write_bytes(documents.html_to_pdf(html))
    with pdfplumber.open(out) as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
        text = "".join((page.extract_text() or "").replace("\n", "") for page in pdf.pages)
    return text, {c["fontname"].split("+")[-1] for c in chars if ord(c["text"][0]) > 0x2E80}


def test_pdf_text_is_chinese_in_the_shipped_fonts(tmp_path):
    html = (
        '<html><head><style>body { font-family: "Dudao Serif"; } h1 { font-family: "Dudao Sans"; }</style></head>'
        f"<body><h1>{TITLE}</h1><p>学校基本情况：在校生一千二百人。</p></body></html>"
    )
    text, cjk_fonts = pdf_of(html, tmp_path)
    assert TITLE in text and "在校生一千二百人" in text
    # these family names exist only as the @font-face rules naming the files in fonts_dir()
    assert {f.split("-Bold")[0] for f in cjk_fonts} == {"Dudao-Sans", "Dudao-Serif"}, cjk_fonts
    css = documents.font_face_css()
    for family in fonts.FAMILIES.values():
        for face in family.faces.values():
            assert (fonts.fonts_dir() / face.filename).as_uri() in css


def glyph_warnings(render) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render()
    return [str(w.message) for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]


def test_charts_draw_chinese_without_missing_glyphs():
    assert (
        glyph_warnings(lambda: charts.trend(["2020", "2021"], {"在校生数": [1200, 1300], "毕业生数": [380, None]}))
        == []
    )
    assert glyph_warnings(lambda: charts.pie({"专任教师": 100, "兼职教师": 20})) == []
    assert charts.font_family() == "Noto Sans SC"
    found = font_manager.fontManager.findfont(
        font_manager.FontProperties(family="Noto Sans SC"), fallback_to_default=False
    )
    assert found.startswith(str(fonts.fonts_dir()))


def test_the_glyph_check_does_catch_tofu():
    """The check above is not vacuous: a Latin-only font drawing Chinese does warn."""
    import matplotlib.pyplot as plt

    def latin_only():
        with plt.rc_context({"font.family": "DejaVu Sans"}):
            fig, ax = plt.subplots()
            ax.set_title("在校生数")
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)

    assert glyph_warnings(latin_only)


def test_docx_names_the_shipped_families():
    doc = documents.cjk_document()
    assert doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "Noto Serif SC"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "Noto Sans SC"


def test_rendering_without_fonts_says_to_fetch_them(tmp_path, monkeypatch):
    monkeypatch.setenv("DUDAO_FONTS_DIR", str(tmp_path / "none"))
    with pytest.raises(DudaoError, match="dudao fonts") as raised:
        documents.html_to_pdf("<p>中文</p>")
    assert "NotoSerifSC-Regular.ttf" in raised.value.message
    with pytest.raises(DudaoError, match="dudao fonts"):
        charts.trend(["2021"], {"在校生数": [1]})


# --- the fetcher, against a fake registry of local files ---

FONT_BYTES = b"not really a font, but bytes with a known hash"


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def tarball_with(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fake_registry(tmp_path, tarball: bytes, integrity: str) -> str:
    """``<registry>/@fake/fonts/1.0`` (what the %2F-escaped scoped URL reads as a file) pointing at the tarball."""
    registry = tmp_path / "registry"
    (registry / "@fake" / "fonts").mkdir(parents=True)
    (registry / "fonts-1.0.tgz").write_bytes(tarball)
    dist = {"tarball": (registry / "fonts-1.0.tgz").as_uri(), "integrity": integrity}
    (registry / "@fake" / "fonts" / "1.0").write_text(json.dumps({"dist": dist}))
    return registry.as_uri()


def fake_family(tarball: bytes, font_sha256: str = hashlib.sha256(FONT_BYTES).hexdigest()) -> fonts.Family:
    return fonts.Family(
        package="@fake/fonts",
        integrity=integrity_of(tarball),
        name="Fake Sans",
        css_name="Fake Sans",
        faces={400: fonts.Face("package/400Regular/Fake.ttf", "Fake-Regular.ttf", font_sha256)},
    )


def fetch(family, tmp_path, registry):
    target = tmp_path / "fonts"
    target.mkdir(exist_ok=True)
    return fonts.fetch_family(family, target, registry=registry, version="1.0"), target


def test_fetch_verifies_extracts_and_is_idempotent(tmp_path):
    tarball = tarball_with("package/400Regular/Fake.ttf", FONT_BYTES)
    registry = fake_registry(tmp_path, tarball, integrity_of(tarball))
    written, target = fetch(fake_family(tarball), tmp_path, registry)
    assert written == [target / "Fake-Regular.ttf"] and written[0].read_bytes() == FONT_BYTES
    assert sorted(p.name for p in target.iterdir()) == ["Fake-Regular.ttf"]  # no tarball or part file left
    (tmp_path / "registry" / "fonts-1.0.tgz").unlink()  # a second run must not need the registry
    assert fetch(fake_family(tarball), tmp_path, registry)[0] == []


def test_fetch_refuses_a_corrupted_tarball(tmp_path):
    tarball = tarball_with("package/400Regular/Fake.ttf", FONT_BYTES)
    corrupted = tarball[:-8] + bytes(8)
    registry = fake_registry(tmp_path, corrupted, integrity_of(tarball))  # registry and pin agree; the bytes do not
    with pytest.raises(DudaoError, match="integrity mismatch"):
        fetch(fake_family(tarball), tmp_path, registry)
    assert list((tmp_path / "fonts").iterdir()) == []


def test_fetch_refuses_a_registry_integrity_other_than_the_pinned_one(tmp_path):
    tarball = tarball_with("package/400Regular/Fake.ttf", FONT_BYTES)
    other = tarball_with("package/400Regular/Fake.ttf", b"other bytes")
    registry = fake_registry(tmp_path, other, integrity_of(other))  # self-consistent, but not what we pinned
    with pytest.raises(DudaoError, match="not the pinned one"):
        fetch(fake_family(tarball), tmp_path, registry)


def test_fetch_refuses_a_font_file_with_the_wrong_hash(tmp_path):
    tarball = tarball_with("package/400Regular/Fake.ttf", FONT_BYTES)
    registry = fake_registry(tmp_path, tarball, integrity_of(tarball))
    with pytest.raises(DudaoError, match="pinned sha256"):
        fetch(fake_family(tarball, font_sha256="0" * 64), tmp_path, registry)
    assert list((tmp_path / "fonts").iterdir()) == []
