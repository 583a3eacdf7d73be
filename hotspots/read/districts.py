"""District ward files: which district each ward belongs to."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

log = logging.getLogger(__name__)


def district_from_path(path: str | Path) -> str:
    """A district name from a ward file's name: ``wyre-forest.geojson`` -> ``Wyre Forest``.

    Examples
    --------
    >>> district_from_path("../shared/data/wards/wyre-forest.geojson")
    'Wyre Forest'
    >>> district_from_path("councils/redditch/wards.geojson")
    'Redditch'
    """
    path = Path(path)
    for name in (path.stem, path.parent.name):  # "wards.geojson": the folder's name
        words = re.sub(r"[_\-]+", " ", name)
        words = re.sub(r"\bwards?\b", "", words, flags=re.IGNORECASE).strip()
        if words:
            return " ".join(w if w.isupper() else w.capitalize() for w in words.split())
    return path.stem


_DISTRICT_RE = re.compile(r"^(LAD\d{0,2}NM|district|district_name|lad_name|borough)$", re.I)


def district_column(columns: Sequence[str]) -> str | None:
    """The column of a ward file naming each ward's district, if any.

    Examples
    --------
    >>> district_column(["WD13CD", "WD13NM", "LAD13NM"]), district_column(["WD13NM"])
    ('LAD13NM', None)
    """
    return next((c for c in columns if _DISTRICT_RE.match(str(c))), None)


def read_district_wards(paths: Sequence[str | Path]) -> gpd.GeoDataFrame:
    """Read one or more ward files into one table with each ward's district.

    The district is taken from a district column (``LADyyNM``, ``district``)
    when a file has one, else from the file's name (``wyre-forest.geojson`` ->
    ``Wyre Forest``). A ward name found in two districts is suffixed with its
    district, so every ward keeps its own row.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ward_code``, ``ward_name``, ``district``, geometry (EPSG:27700), as
        :func:`boundaries.load_wards` gives them.
    """
    from boundaries import load_wards

    parts = []
    for path in paths:
        wards = load_wards(path)
        attrs = gpd.read_file(path, ignore_geometry=True) if Path(path).exists() else None
        col = district_column(list(attrs.columns)) if attrs is not None else None
        if col is not None:
            lookup = dict(zip(attrs[_name_column(attrs)].astype(str).str.strip(), attrs[col]))
            wards["district"] = wards["ward_name"].map(lookup).fillna(district_from_path(path))
        else:
            wards["district"] = district_from_path(path)
        parts.append(wards)
    out = pd.concat(parts, ignore_index=True)
    dup = out["ward_name"].duplicated(keep=False)
    out.loc[dup, "ward_name"] = out.loc[dup, "ward_name"] + " (" + out.loc[dup, "district"] + ")"
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=parts[0].crs)
    return out[["ward_code", "ward_name", "district", "geometry"]]


def _name_column(frame: pd.DataFrame) -> str:
    names = sorted(c for c in frame.columns if re.match(r"^(WD|WARD)\d{0,2}NM$", str(c), re.I))
    if names:
        return names[-1]
    lower = {str(c).lower(): c for c in frame.columns}
    return next(lower[k] for k in ("ward_name", "name", "wardname", "ward") if k in lower)
