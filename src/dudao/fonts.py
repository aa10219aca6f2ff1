"""The open CJK fonts (字体) every printed document uses, fetched into the project at set-up: ``dudao fonts``.

Why ship them rather than assume them: a fresh machine has no Chinese font, and WeasyPrint, matplotlib and Pango then
draw every 汉字 as an empty box without a word of complaint. So ``./run.sh`` and ``./test.sh`` run ``dudao fonts``
(also ``python -m dudao.fonts``), which downloads Noto Sans SC and Noto Serif SC (SIL Open Font License) from the npm
registry, where Google Fonts' TTF files are published as ``@expo-google-fonts/*`` packages, and keeps only the four
weights the documents use. The renderers then load them by file (:mod:`dudao.documents`, ``reports.charts``), never by
a system font name.

Trust: the version is pinned, the tarball must match both the registry's ``dist.integrity`` and the sha512 pinned
here, and each extracted file must match its pinned sha256. Idempotent: a file already present with the right hash is
kept, so re-running costs one hash per file and no network.

This module imports nothing from Django or the apps (only ``dudao.errors``), so it runs before the project is
configured. A fetch that fails or does not match its pins raises :class:`DudaoError`; nothing unverified is kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dudao.errors import DudaoError

REGISTRY = "https://registry.npmjs.org"
VERSION = "0.4.3"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Face:
    """One font file: where it sits in the package tarball, what it is called here, its pinned sha256."""

    member: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class Family:
    """One npm package of font files and the faces taken from it."""

    package: str
    integrity: str  # sha512 of the tarball, as the registry writes it (``sha512-<base64>``)
    name: str  # the family name inside the font files (what Word and matplotlib look up)
    css_name: str  # the name our print CSS uses in @font-face, distinct from any system font
    faces: dict[int, Face]  # CSS weight → face


FAMILIES: dict[str, Family] = {
    "sans": Family(
        package="@expo-google-fonts/noto-sans-sc",
        integrity="sha512-9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6DkAEQmfNHDncQ==",
        name="Noto Sans SC",
        css_name="Dudao Sans",
        faces={
            400: Face(
                "package/400Regular/NotoSansSC_400Regular.ttf",
                "NotoSansSC-Regular.ttf",
                "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16",
            ),
            700: Face(
                "package/700Bold/NotoSansSC_700Bold.ttf",
                "NotoSansSC-Bold.ttf",
                "9a38ae0ab28cd5a256f9ea8e00dedc688aac17f7915fcb000572990afa956b96",
            ),
        },
    ),
    "serif": Family(
        package="@expo-google-fonts/noto-serif-sc",
        integrity="sha512-fSmUpiSFtSeyHV45/2xUOy5SdfExklQwwMKN3cQjAZAujITHDmSbpMHCVdCMhRqMjQtu0ZRgc29u8A+CU3akfw==",
        name="Noto Serif SC",
        css_name="Dudao Serif",
        faces={
            400: Face(
                "package/400Regular/NotoSerifSC_400Regular.ttf",
                "NotoSerifSC-Regular.ttf",
                "c358a69de3df5f423a8946a7b03e3126fb6ba116f1130a463455b4e39e1f0742",
            ),
            700: Face(
                "package/700Bold/NotoSerifSC_700Bold.ttf",
                "NotoSerifSC-Bold.ttf",
                "9c6a2ba736e4b499c84f65ce366bd3625c0401885fd3e585ace50fb738b96ff6",
            ),
        },
    ),
}


def fonts_dir() -> Path:
    """``DUDAO_FONTS_DIR``, else ``fonts/`` in the checkout (gitignored).

    Not under ``DUDAO_VAR_DIR``: the tests run each pass in a throw-away var directory and should not fetch 50 MB of
    fonts every time.
    """
    configured = os.environ.get("DUDAO_FONTS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "fonts"


def font_file(family: str, weight: int = 400) -> Path:
    return fonts_dir() / FAMILIES[family].faces[weight].filename


def missing() -> list[Path]:
    """The font files absent from :func:`fonts_dir` (a cheap check for render time; hashes are checked on fetch)."""
    return [
        fonts_dir() / face.filename
        for fam in FAMILIES.values()
        for face in fam.faces.values()
        if not (fonts_dir() / face.filename).is_file()
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _metadata_url(registry: str, package: str, version: str) -> str:
    return f"{registry}/{quote(package, safe='@')}/{version}"  # the scope's slash is escaped as %2F


def _download(url: str, into: Path, integrity: str) -> None:
    """Streams ``url`` into ``into`` and refuses it unless its sha512 is ``integrity``."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise DudaoError(f"unsupported integrity {integrity!r}")
    digest = hashlib.sha512()
    with urllib.request.urlopen(url, timeout=120) as response, into.open("wb") as out:  # noqa: S310 (pinned URL)
        for chunk in iter(lambda: response.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    actual = base64.b64encode(digest.digest()).decode()
    if actual != expected:
        into.unlink()
        raise DudaoError(f"{url}: integrity mismatch (sha512-{actual}, expected {integrity})")


def fetch_family(family: Family, target: Path, *, registry: str = REGISTRY, version: str = VERSION) -> list[Path]:
    """Puts ``family``'s faces into ``target``; downloads the package only when a face is absent or wrong."""
    wanted = [face for face in family.faces.values() if not _present(target / face.filename, face.sha256)]
    if not wanted:
        return []
    url = _metadata_url(registry, family.package, version)
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (pinned registry)
        dist = json.load(response)["dist"]
    if dist.get("integrity") != family.integrity:
        raise DudaoError(
            f"{family.package}@{version}: the registry's integrity {dist.get('integrity')!r} is not the pinned one"
        )
    written = []
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        tarball = Path(tmp) / "package.tgz"
        _download(dist["tarball"], tarball, family.integrity)
        with tarfile.open(tarball, "r:gz") as tar:
            for face in wanted:
                member = tar.extractfile(face.member)
                if member is None:
                    raise DudaoError(f"{family.package}: {face.member} is not a file in the tarball")
                part = Path(tmp) / face.filename
                with part.open("wb") as out:
                    for chunk in iter(lambda: member.read(CHUNK), b""):  # noqa: B023 (consumed inside the loop)
                        out.write(chunk)
                if _sha256(part) != face.sha256:
                    raise DudaoError(f"{family.package}: {face.member} does not match its pinned sha256")
                part.replace(target / face.filename)
                written.append(target / face.filename)
    return written


def _present(path: Path, sha256: str) -> bool:
    return path.is_file() and _sha256(path) == sha256


def fetch(target: Path | None = None, *, registry: str = REGISTRY) -> list[Path]:
    """Every family into ``target`` (default :func:`fonts_dir`); returns the files written (none when all present)."""
    target = target or fonts_dir()
    target.mkdir(parents=True, exist_ok=True)
    return [path for family in FAMILIES.values() for path in fetch_family(family, target, registry=registry)]


def main(argv: list[str] | None = None) -> int:
    """``dudao fonts``: fetch what is missing, print where the fonts are; exit 1 with the reason on failure."""
    try:
        written = fetch()
    except (OSError, DudaoError, KeyError, ValueError, tarfile.TarError) as exc:
        print(f"dudao fonts: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"dudao fonts: {path}")
    print(f"dudao fonts: Noto Sans SC, Noto Serif SC in {fonts_dir()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
