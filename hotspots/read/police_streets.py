"""Approximate streets from police.uk's own map points, for when OpenStreetMap cannot be fetched.

Every police.uk street-level row is placed on an anonymous *map point* on or
near a street, and says which: ``Location`` reads "On or near Unicorn Hill".
The map points of one name, taken from every crime type of a few months, lie
along that street. :func:`streets_from_map_points` turns them into a street
layer the maps draw as they draw any other (:func:`hotspots.read.roads.as_roads`):

* places that are not streets are left out (police.uk's place categories
  "Parking Area", "Supermarket", "Pedestrian Subway", "... Police Station"
  and the like: :data:`NOT_STREETS`, and any name with a "/");
* a name's map points more than ``max_gap_m`` apart from all the others of
  that name are another street (single linkage), so two "Church Road"s in
  different villages stay apart;
* each street's map points are joined by the straight lines of their
  minimum spanning tree (the shortest lines that join them all). These are
  *not* the street's true course: ``source`` and ``shape`` say so in every row;
* a street of one map point (most cul-de-sacs have only one), or whose joins
  are shorter than ``anchor_m``, is kept as a *name only* (kind
  :data:`hotspots.read.roads.NAME_ONLY`): a short line along the points that
  places the name on the map and is itself not drawn.

The licence is police.uk's (Open Government Licence v3.0: each row's ``licence``);
every map that draws these streets says "Streets: approximate, from police.uk
map points" after that licence's line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError, InputFileError
from hotspots._validate import ANALYSIS_CRS
from hotspots.io import ATTRIBUTION
from hotspots.read.roads import NAME_ONLY

log = logging.getLogger(__name__)

#: Where the lines come from (the ``source`` column of every row).
SOURCE = "police.uk map points"
#: The licence sentence of police.uk data, as :data:`hotspots.io.ATTRIBUTION` words it.
OGL = next(s.strip().rstrip(".") for s in ATTRIBUTION.split(". ") if "Open Government" in s)
#: The ``attribution`` of every row: what the lines are. A map's licence line opens with
#: :data:`OGL` in full, which covers police.uk's map points too
#: (:func:`hotspots.draw.cartography.attribution`), and stays one line on a desktop.
POLICE_STREETS_ATTRIBUTION = f"approximate, from {SOURCE}"
#: The ``shape`` column: how the geometry was made.
JOINED = "straight lines between map points"
ANCHORED = "name only, placed at its map points"
#: police.uk anonymous place types ("On or near Parking Area"): a hotspot is named by a
#: street when its incidents have one, by one of these only when they have none
#: (:mod:`hotspots.analysis.labels`).
PLACE_TYPES = frozenset(
    {"parking area", "shopping area", "supermarket", "petrol station", "park/open space",
     "sports/recreation area", "nightclub", "further/higher educational building", "hospital",
     "police station", "theatre/concert hall", "conference/exhibition centre", "bus/coach station",
     "train station", "airport/airfield", "prison", "pedestrian subway", "other road",
     "footpath", "theme/adventure park", "sports centre"}
)  # fmt: skip
#: police.uk place categories that are not streets (compared case-insensitively): every
#: place type of :data:`PLACE_TYPES` ("Other Road" and "Footpath" are police.uk's words for
#: unnamed ways) and more seen in West Mercia's files; any name with a "/"
#: ("Sports/Recreation Area") or ending in "Police Station" is one too.
NOT_STREETS = PLACE_TYPES | frozenset(
    s.lower()
    for s in (
        "Motorway Service Area", "Race Track", "Ferry Terminal", "Police Headquarters",
        "No Location",
    )
)  # fmt: skip
_ROAD_NUMBER = re.compile(r"^[ABM]\d+(\([MT]\))?$")
_COLUMNS = ("Longitude", "Latitude", "Location")


def street_name(location: pd.Series) -> pd.Series:
    """The street of a police.uk ``Location`` ("On or near X" -> "X"); "" for a place that is not one.

    Examples
    --------
    >>> import pandas as pd
    >>> street_name(pd.Series(["On or near Unicorn Hill", "On or near Parking Area",
    ...                        "On or near St John'S Road", "On or near Redditch Police Station",
    ...                        "On or near Sports/Recreation Area", None])).tolist()
    ['Unicorn Hill', '', "St John's Road", '', '', '']
    """
    name = (location.fillna("").astype(str).str.strip()
            .str.replace(r"^On or near\s+", "", regex=True, case=False)
            .str.replace(r"'S\b", "'s", regex=True)  # police.uk's title case: "St John'S"
            .str.replace(r"\s+", " ", regex=True))  # fmt: skip
    lower = name.str.lower()
    place = (
        lower.isin(NOT_STREETS)
        | name.str.contains("/", regex=False)
        | lower.str.endswith("police station")
        | lower.str.contains("(unnamed", regex=False)
    )
    return name.where(~place, "")


def streets_from_map_points(
    rows: pd.DataFrame, *, max_gap_m: float = 300.0, anchor_m: float = 80.0
) -> gpd.GeoDataFrame:
    """Named street lines (EPSG:27700) joined through police.uk's map points.

    Parameters
    ----------
    rows : pandas.DataFrame
        police.uk street-level rows (any crime type): ``Longitude``,
        ``Latitude`` (WGS84) and ``Location`` ("On or near <street>"). Rows
        with no position or no street are left out; each map point counts once.
    max_gap_m : float, default 300
        Map points of one name further than this from every other point of
        that name start another street (single linkage).
    anchor_m : float, default 80
        A street of one map point, or whose joins are shorter than this, is a
        name only: a line this long through its points (along them; level for
        one point), which places the name and is not drawn.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per street: ``name``, ``kind`` ("main" for a road number such
        as "A441", "local", or :data:`hotspots.read.roads.NAME_ONLY`),
        ``map_points`` (how many), ``shape`` (:data:`JOINED` or
        :data:`ANCHORED`), ``source`` (:data:`SOURCE`), ``licence`` (:data:`OGL`),
        ``attribution`` (:data:`POLICE_STREETS_ATTRIBUTION`), line geometry in EPSG:27700
        (a MultiLineString where the joins branch). Sorted by name.

    Raises
    ------
    HotspotsError
        When a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"Longitude": [-1.9400, -1.9410, -1.9420, -1.9900, -1.9401],
    ...                      "Latitude": [52.3060, 52.3062, 52.3064, 52.3300, 52.3070],
    ...                      "Location": ["On or near High Street"] * 4 + ["On or near Supermarket"]})
    >>> streets = streets_from_map_points(rows)
    >>> streets[["name", "kind", "map_points"]].values.tolist()
    [['High Street', 'local', 3], ['High Street', 'name only', 1]]
    >>> streets.crs.to_epsg(), bool(streets.is_valid.all())
    (27700, True)
    """
    missing = [c for c in _COLUMNS if c not in rows.columns]
    if missing:
        raise HotspotsError(
            f"streets from map points need the police.uk columns {list(_COLUMNS)!r}; "
            f"missing {missing!r} (found {list(rows.columns)!r}). Give police.uk "
            "street-level CSVs"
        )
    if max_gap_m <= 0 or anchor_m <= 0:
        raise HotspotsError(
            f"max_gap_m and anchor_m must be above 0 metres; got {max_gap_m!r} and {anchor_m!r}"
        )
    points = _map_points(rows)
    if points.empty:
        return gpd.GeoDataFrame(
            {c: [] for c in ("name", "kind", "map_points", "shape", "source", "licence",
                             "attribution")},
            geometry=[], crs=ANALYSIS_CRS,
        )  # fmt: skip
    xy = np.column_stack([points["x"].to_numpy(), points["y"].to_numpy()])
    street, edges = _streets(xy, points["name"].to_numpy(), max_gap_m=max_gap_m)
    n = int(street.max()) + 1
    count = np.bincount(street, minlength=n)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
    joined = np.bincount(street[edges[:, 0]], weights=length, minlength=n)
    names = pd.Series(points["name"].to_numpy()).groupby(street).first().to_numpy()
    anchor = joined < anchor_m

    geoms = np.empty(n, dtype=object)
    drawn = ~anchor[street[edges[:, 0]]]  # the joins of the streets drawn as lines
    if drawn.any():
        owner = street[edges[drawn, 0]]
        order = np.argsort(owner, kind="stable")
        segs = shapely.linestrings(np.stack([xy[edges[drawn, 0]], xy[edges[drawn, 1]]], axis=1))
        shapely.multilinestrings(segs[order], indices=owner[order], out=geoms)
        geoms[~anchor] = shapely.line_merge(geoms[~anchor].astype(object))
    geoms[anchor] = _anchors(xy, street, n, half=anchor_m / 2)[anchor]
    kind = np.where(anchor, NAME_ONLY,
                    np.where([bool(_ROAD_NUMBER.match(s)) for s in names], "main", "local"))  # fmt: skip
    out = gpd.GeoDataFrame(
        {
            "name": names,
            "kind": kind,
            "map_points": count,
            "shape": np.where(anchor, ANCHORED, JOINED),
            "source": SOURCE,
            "licence": OGL,
            "attribution": POLICE_STREETS_ATTRIBUTION,
        },
        geometry=list(geoms),
        crs=ANALYSIS_CRS,
    ).sort_values(["name", "map_points"], ascending=[True, False], ignore_index=True)
    log.info("streets from %d police.uk map points: %d lines, %d names only",
             len(points), int((~anchor).sum()), int(anchor.sum()))  # fmt: skip
    return out


def _map_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Distinct map points with a street name: ``name``, ``x``, ``y`` (EPSG:27700)."""
    lon = pd.to_numeric(rows["Longitude"], errors="coerce")
    lat = pd.to_numeric(rows["Latitude"], errors="coerce")
    frame = pd.DataFrame({"name": street_name(rows["Location"]), "lon": lon, "lat": lat})
    frame = frame[(frame["name"] != "") & lon.notna() & lat.notna()]
    frame = frame.drop_duplicates(["name", "lon", "lat"], ignore_index=True)
    where = gpd.GeoSeries.from_xy(frame["lon"], frame["lat"], crs="EPSG:4326").to_crs(ANALYSIS_CRS)
    return pd.DataFrame({"name": frame["name"], "x": where.x.to_numpy(), "y": where.y.to_numpy()})


def _streets(xy: np.ndarray, names: np.ndarray, *, max_gap_m: float):
    """Each point's street (single linkage within a name) and the streets' joins (MST edges)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
    from scipy.spatial import cKDTree

    n = len(xy)
    pairs = cKDTree(xy).query_pairs(max_gap_m, output_type="ndarray")
    pairs = pairs[names[pairs[:, 0]] == names[pairs[:, 1]]] if len(pairs) else pairs
    dist = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T) if len(pairs) else np.empty(0)
    # A zero weight is "no edge" to scipy: two map points at one place are a 1 mm join.
    graph = coo_matrix((np.maximum(dist, 1e-3), (pairs[:, 0], pairs[:, 1])) if len(pairs)
                       else (np.empty(0), (np.empty(0, int), np.empty(0, int))), shape=(n, n))  # fmt: skip
    tree = minimum_spanning_tree(graph.tocsr()).tocoo()
    _, street = connected_components(tree, directed=False)
    return street, np.column_stack([tree.row, tree.col]).astype(int)


def _anchors(xy: np.ndarray, street: np.ndarray, n: int, *, half: float) -> np.ndarray:
    """A line ``2 * half`` long through each street's centre, along its points' main axis."""
    count = np.bincount(street, minlength=n)
    cx = np.bincount(street, weights=xy[:, 0], minlength=n) / count
    cy = np.bincount(street, weights=xy[:, 1], minlength=n) / count
    dx, dy = xy[:, 0] - cx[street], xy[:, 1] - cy[street]
    sxx = np.bincount(street, weights=dx * dx, minlength=n)
    syy = np.bincount(street, weights=dy * dy, minlength=n)
    sxy = np.bincount(street, weights=dx * dy, minlength=n)
    angle = 0.5 * np.arctan2(2 * sxy, sxx - syy)  # 0 (level) for one point
    ux, uy = np.cos(angle) * half, np.sin(angle) * half
    return shapely.linestrings(np.stack([np.column_stack([cx - ux, cy - uy]),
                                         np.column_stack([cx + ux, cy + uy])], axis=1))  # fmt: skip


def read_map_points(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The ``Longitude``, ``Latitude`` and ``Location`` of police.uk street-level CSVs (every row).

    Raises
    ------
    InputFileError
        A file is missing, unreadable or lacks one of those columns.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "2018-10-west-mercia-street.csv"
    ...     _ = path.write_text("Crime ID,Longitude,Latitude,Location,Crime type\\n"
    ...                         ",-1.94,52.306,On or near Unicorn Hill,Burglary\\n")
    ...     read_map_points([path]).values.tolist()
    [['-1.94', '52.306', 'On or near Unicorn Hill']]
    """
    frames = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputFileError(path, "does not exist", "a police.uk street-level CSV")
        try:
            header = [str(c).strip() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig",
                                                          encoding_errors="replace")]  # fmt: skip
            missing = [c for c in _COLUMNS if c not in header]
            if missing:
                raise InputFileError(path, f"has no column {missing!r} (columns: {header!r})",
                                     f"a police.uk street-level CSV with {list(_COLUMNS)!r}")  # fmt: skip
            frame = pd.read_csv(path, usecols=lambda c: c.strip() in _COLUMNS, dtype=str,
                                encoding="utf-8-sig", encoding_errors="replace")  # fmt: skip
        except InputFileError:
            raise
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputFileError(path, f"cannot be read as CSV ({exc})",
                                 "a police.uk street-level CSV") from None  # fmt: skip
        frame.columns = [c.strip() for c in frame.columns]
        # Bytes that are not UTF-8 cost their row, not the file (a street name must be exact).
        garbled = frame.astype(str).apply(lambda col: col.str.contains("\ufffd", regex=False))
        bad = garbled.any(axis=1).to_numpy()
        if bad.any():
            lines = (np.flatnonzero(bad) + 2).tolist()  # the header is line 1
            log.warning("%s: %d row(s) with bytes that are not UTF-8 left out (lines %s)",
                        path, int(bad.sum()), ", ".join(map(str, lines[:10]))
                        + (", ..." if len(lines) > 10 else ""))  # fmt: skip
            frame = frame[~bad]
        frames.append(frame[list(_COLUMNS)])
    if not frames:
        raise HotspotsError("give at least one police.uk street-level CSV")
    return pd.concat(frames, ignore_index=True)
