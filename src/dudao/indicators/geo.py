"""Shanghai's district boundaries for the cockpit's map, and how a boundary file is made to match our districts.

The map colours a district by the feature whose ``properties.name`` equals the district's org name (黄浦区 …), so
the vendored file (``static/vendor/shanghai/shanghai.json``, from the npm package echarts@4.9.0) must use exactly the
16 names of ``catalog/orgs.yaml``. Older boundary files use names from before the mergers: 南市区 (into 黄浦区,
2000), 南汇区 (into 浦东新区, 2009), 卢湾区 (into 黄浦区, 2011), 闸北区 (into 静安区, 2015), 崇明县 (崇明区 since
2016). :func:`normalise` renames those and merges the pieces of one district into one MultiPolygon, so a re-vendored
file still colours by org; the 4.9.0 file already uses today's 16 names and is vendored byte for byte.

Re-vendoring: ``npm pack echarts@4.9.0``, unpack ``package/map/json/province/shanghai.json`` and run
``python -m dudao.indicators.geo <that file> > src/dudao/static/vendor/shanghai/shanghai.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MAP_FILE = Path(__file__).resolve().parent.parent / "static" / "vendor" / "shanghai" / "shanghai.json"
MAP_STATIC = "vendor/shanghai/shanghai.json"  # its path for {% static %}

# Former districts and county → the district that took them in.
FORMER = {"南市区": "黄浦区", "卢湾区": "黄浦区", "南汇区": "浦东新区", "闸北区": "静安区", "崇明县": "崇明区"}


def _polygons(geometry: dict) -> tuple[list, list | None]:
    """A Polygon or MultiPolygon as (list of polygons, list of their encode offsets or ``None``)."""
    offsets = geometry.get("encodeOffsets")
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]], [offsets] if offsets is not None else None
    return list(geometry["coordinates"]), list(offsets) if offsets is not None else None


def normalise(collection: dict) -> dict:
    """``collection`` with former names replaced by today's and one feature per district (pieces merged into a
    MultiPolygon, the first piece's ``id`` and properties kept). Works on plain GeoJSON and on ECharts' compressed
    form (``UTF8Encoding``: rings as strings, with ``encodeOffsets`` beside the coordinates)."""
    merged: dict[str, dict] = {}
    for feature in collection["features"]:
        name = FORMER.get(feature["properties"]["name"], feature["properties"]["name"])
        if name not in merged:
            merged[name] = {**feature, "properties": {**feature["properties"], "name": name}}
            continue
        kept = merged[name]
        polygons, offsets = _polygons(kept["geometry"])
        more, more_offsets = _polygons(feature["geometry"])
        geometry: dict = {"type": "MultiPolygon", "coordinates": polygons + more}
        if offsets is not None and more_offsets is not None:
            geometry["encodeOffsets"] = offsets + more_offsets
        kept["geometry"] = geometry
    return {**collection, "features": list(merged.values())}


def district_names(path: Path = MAP_FILE) -> list[str]:
    """The feature names of the vendored map, in file order (the keys the cockpit's map data uses)."""
    return [f["properties"]["name"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]


if __name__ == "__main__":  # pragma: no cover - the re-vendoring step in the module docstring
    source = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.stdout.write(json.dumps(normalise(source), ensure_ascii=False, separators=(",", ":")))
