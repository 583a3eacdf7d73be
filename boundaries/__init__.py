"""Ward boundary sources and loaders.

Reads ward polygons from GeoJSON, shapefiles or GeoPackages, whatever the ONS
vintage of their column names (``WD13CD``/``WD13NM``, ``WD23CD``/``WD23NM``, ...),
into one shape: ``ward_code``, ``ward_name``, ``geometry`` in EPSG:27700.

Files shipped with the project are listed by :func:`get_path`.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd

from hotspots._errors import InputFileError
from hotspots._validate import ANALYSIS_CRS, reproject

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Files that ship with the project, by name.
SHIPPED = {
    "demo-wards": ROOT / "data" / "demo" / "wards.geojson",
    "demo-focus-areas": ROOT / "data" / "demo" / "focus_areas.toml",
    "demo-incidents": ROOT / "data" / "demo" / "incidents.csv",
    "demo-roads": ROOT / "data" / "demo" / "roads.geojson",
    "demo-population": ROOT / "data" / "demo" / "population.csv",
    "redditch-focus-areas": HERE / "redditch_focus_areas.toml",
}

_CODE_RE = re.compile(r"^(WD|WARD)\d{0,2}CD$", re.IGNORECASE)
_NAME_RE = re.compile(r"^(WD|WARD)\d{0,2}NM$", re.IGNORECASE)
_VINTAGE_RE = re.compile(r"^WD(\d{2})CD$", re.IGNORECASE)
_CODE_FALLBACK = ("ward_code", "code", "wardcode", "gss_code")
_NAME_FALLBACK = ("ward_name", "name", "wardname", "ward")


def get_path(name: str) -> Path:
    """Return the path of a boundary or demo file that ships with the project.

    Parameters
    ----------
    name : str
        One of the keys of :data:`SHIPPED`.

    Raises
    ------
    KeyError
        Naming the valid names, when ``name`` is not one of them.

    Examples
    --------
    >>> get_path("demo-wards").name
    'wards.geojson'
    """
    try:
        return SHIPPED[name]
    except KeyError:
        raise KeyError(f"no shipped file {name!r}; valid names: {sorted(SHIPPED)!r}") from None


def _pick(columns: list[str], pattern: re.Pattern[str], fallback: tuple[str, ...]) -> str | None:
    matches = sorted(c for c in columns if pattern.match(c) and not c.upper().endswith("CDO"))
    if matches:
        return matches[-1]  # the newest vintage when a file carries several
    lower = {c.lower(): c for c in columns}
    return next((lower[f] for f in fallback if f in lower), None)


def load_wards(
    path: str | Path, *, name_column: str | None = None, code_column: str | None = None
) -> gpd.GeoDataFrame:
    """Read ward boundaries and return ``ward_code``, ``ward_name``, ``geometry``.

    Parameters
    ----------
    path : str or Path
        GeoJSON, shapefile or GeoPackage of ward polygons.
    name_column, code_column : str, optional
        The columns holding ward names and codes; detected when not given
        (ONS ``WDyyNM``/``WDyyCD``, or ``name``/``code``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per ward in EPSG:27700, ordered by ward name. ``attrs["vintage"]``
        is the boundaries' year from an ONS ``WDyyCD`` column (``2013`` for
        ``WD13CD``), None when the file has none; ``attrs["vintage_column"]``
        names that column. :func:`hotspots.analysis.wards.vintage_label` words it.

    Raises
    ------
    InputFileError
        If the file cannot be read, holds no polygons, or has no name column.

    Examples
    --------
    >>> wards = load_wards(get_path("demo-wards"))
    >>> len(wards), wards.crs.to_epsg(), list(wards.columns)
    (12, 27700, ['ward_code', 'ward_name', 'geometry'])
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(
            path, "does not exist", "a ward boundary GeoJSON, shapefile or GeoPackage"
        )
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputFileError(
            path, f"cannot be read as boundaries ({exc})", "GeoJSON, shapefile or GeoPackage"
        ) from None
    if frame.empty or not frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise InputFileError(path, "holds no ward polygons", "a layer of Polygon features")
    cols = [c for c in frame.columns if c != frame.geometry.name]
    name = name_column or _pick(cols, _NAME_RE, _NAME_FALLBACK)
    code = code_column or _pick(cols, _CODE_RE, _CODE_FALLBACK)
    if name is None or name not in frame.columns:
        raise InputFileError(
            path,
            f"has no ward name column (columns: {cols!r})",
            "an ONS column such as WD13NM or WD23NM, or 'name' (or pass name_column=)",
        )
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")  # GeoJSON without a crs member is WGS84
    out = gpd.GeoDataFrame(
        {
            "ward_code": frame[code].astype(str) if code else frame[name].astype(str),
            "ward_name": frame[name].astype(str).str.strip(),
        },
        geometry=reproject(frame.geometry, ANALYSIS_CRS).make_valid(),
        crs=ANALYSIS_CRS,
    )
    out = out.sort_values("ward_name", ignore_index=True)
    vintage = _VINTAGE_RE.match(code or "")
    out.attrs["vintage"] = 2000 + int(vintage.group(1)) if vintage else None
    out.attrs["vintage_column"] = code if vintage else None
    return out
