"""Place text at street level: house numbers, flats and business names removed.

Council case exports carry free-text addresses ("Flat 2, 14 Market Place",
"6 Unicorn Hill, Redditch", "Tesco Express, 12 Alcester Street"): personal
data. police.uk's ``Location`` ("On or near Unicorn Hill") is already
anonymised. Every output that a viewer sees (web pages, API, map popups, CSV
and GeoJSON downloads, tasking sheets) and every CLI output by default shows
place text through :func:`street_level`; full addresses are for the analyst
role and for the CLI's ``--keep-addresses``.

:func:`street_level` keeps only a street name: the words after a house number
("14 Market Place" -> "Market Place"), else a comma-separated part that ends in
a street word (Road, Hill, Place, ...; "The Red Lion, Market Place" ->
"Market Place"). Flat, unit and apartment numbers, postcodes and text in
brackets are dropped. Text in which no street can be found is replaced by
:data:`WITHHELD`. :func:`redact_places` applies it to the place columns of a
table (``location``, ``place``, ``top_locations``, ``locations``); a hotspot's
street list for viewers counts its incidents by street (:func:`street_counts`,
the ``top_streets`` column of :func:`hotspots.analysis.summaries.summarise_clusters`), not
the analyst's three most common addresses.

Locations too: a council row geocoded from its postcode sits on the postcode's
centroid, so a map point of one case gives the full postcode away.
:func:`public_points` is what a viewer's map draws: police.uk rows keep their
published (already anonymised) map points; every other point moves to the
centre of its :data:`PUBLIC_CELL_M` grid cell, or of a coarser cell (up to
800 m) where that holds fewer than :data:`MIN_CASES_SHOWN` such cases; cases
still alone are left off.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: The grid (metres, British National Grid) a viewer's council points are moved onto.
PUBLIC_CELL_M = 100
#: A viewer's map shows no council point that stands for fewer cases than this.
MIN_CASES_SHOWN = 5
#: Cells of fewer cases try a grid twice as coarse, this many times (100 m up to 800 m).
COARSER_LEVELS = 3
#: What replaces place text in which no street can be recognised.
WITHHELD = "(place withheld)"
#: The place columns of the project's tables: single places, and "place (n); ..." lists.
PLACE_COLUMNS = ("location", "place")
PLACE_LIST_COLUMNS = ("top_locations", "locations")

_NEAR = "On or near "
#: Last words of a street name (Royal Mail / OS Open Names thoroughfare types, and places).
STREET_WORDS = frozenset({
    "alley", "approach", "ave", "avenue", "bank", "boulevard", "bridge", "brow", "bypass",
    "center", "centre", "chase", "circle", "circus", "cl", "close", "court", "cres", "crescent",
    "croft", "ct", "dale", "dr", "drive", "end", "estate", "field", "fields", "gardens", "gate",
    "gdns", "glade", "green", "grove", "heights", "highway", "hill", "hollow", "island", "lane",
    "lees", "leys", "link", "ln", "market", "meadow", "meadows", "mews", "mount", "nook",
    "orchard", "parade", "park", "passage", "path", "pathway", "pl", "place", "precinct",
    "promenade", "quay", "rd", "ride", "ringway", "rise", "road", "row", "side", "spur", "sq",
    "square", "st", "steps", "strand", "street", "subway", "terrace", "top", "underpass", "vale",
    "view", "villas", "walk", "way", "wharf", "wood", "wynd", "yard"
})  # fmt: skip
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_FLAT = re.compile(
    r"\b(?:flat|apartment|apt|unit|room|suite|maisonette|bedsit|block|floor|no|number)\.?\s*"
    r"(?:\d+[a-z]?|[a-z]\b)\s*(?:[-/]\s*\d+[a-z]?)?",
    re.IGNORECASE,
)
_HOUSE_THEN_STREET = re.compile(
    r"(?<![\w/])\d+[a-z]?(?:\s*[-/&]\s*\d+[a-z]?)?\s+(?P<street>[A-Za-z][A-Za-z'.&\- ]*[A-Za-z])",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w/])\d+[a-z]?(?:\s*[-/&]\s*\d+[a-z]?)?(?![\w/])", re.IGNORECASE)
_LEAD_WORDS = re.compile(
    r"^(?:(?:outside|near|nr|opposite|opp|o/s|rear of|back of|behind|by|at|in|on|junction of|"
    r"junction with|jct|corner of|adjacent to|adj|land at|land off|off|the)\b\.?\s*)+",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ,;.-")


def _is_street(part: str) -> bool:
    words = part.split()
    return bool(words) and words[-1].lower().strip(".") in STREET_WORDS


def street_level(text: object) -> str:
    """The street of a place description, with no house number, flat or business name.

    Parameters
    ----------
    text : str
        A police.uk ``Location`` or a council export's free-text address.

    Returns
    -------
    str
        The street ("Unicorn Hill"); police.uk's "On or near ..." kept as it is
        (house numbers removed if any); ``""`` for empty text; :data:`WITHHELD`
        when no street can be recognised.

    Examples
    --------
    >>> street_level("6 Unicorn Hill, Redditch")
    'Unicorn Hill'
    >>> street_level("Flat 2, 14 Market Place")
    'Market Place'
    >>> street_level("The Red Lion, Market Place, Redditch B97 4HJ")
    'Market Place'
    >>> street_level("On or near Unicorn Hill")
    'On or near Unicorn Hill'
    >>> street_level("outside 12a Acacia Avenue (Mrs J Smith)")
    'Acacia Avenue'
    >>> street_level("Mrs Smith's house"), street_level(None)
    ('(place withheld)', '')
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    raw = _clean(str(text))
    if not raw:
        return ""
    if raw.lower().startswith(_NEAR.lower()):
        rest = raw[len(_NEAR) :]
        if not re.search(r"\d|,", rest):
            return raw
        street = street_level(rest)
        return street if street == WITHHELD else _NEAR + street
    text = _POSTCODE.sub(" ", _BRACKETS.sub(" ", raw))
    parts = [_clean(_FLAT.sub(" ", p)) for p in re.split(r"[,;\n]", text)]
    parts = [p for p in parts if p]
    found = ""
    for part in parts:  # "14 Market Place": the words after a house number
        match = _HOUSE_THEN_STREET.search(part)
        if match:
            found = match.group("street")
            break
    if not found:  # "The Red Lion, Market Place": a part ending in a street word
        found = next((p for p in parts if _is_street(_LEAD_WORDS.sub("", p))), "")
    found = _clean(_NUMBER.sub(" ", _LEAD_WORDS.sub("", found)))
    return found if found else WITHHELD


_COUNTED = re.compile(r"^(?P<place>.*?)\s*\((?P<n>\d+)\)$")


def street_level_counts(text: object, *, top: int = 3) -> str:
    """A ``"place (n); place (n)"`` list at street level, counts of the same street added up.

    Examples
    --------
    >>> street_level_counts("6 Unicorn Hill, Redditch (3); 8 Unicorn Hill (2); 1 Bates Hill (4)")
    'Unicorn Hill (5); Bates Hill (4)'
    >>> street_level_counts("On or near Unicorn Hill (7)")
    'On or near Unicorn Hill (7)'
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    totals: dict[str, int] = {}
    order: list[str] = []
    for item in str(text).split("; "):
        match = _COUNTED.match(item.strip())
        place, n = (match.group("place"), int(match.group("n"))) if match else (item, 0)
        street = street_level(place)
        if not street:
            continue
        if street not in totals:
            order.append(street)
            totals[street] = 0
        totals[street] += n
    ranked = sorted(order, key=lambda s: (-totals[s], order.index(s)))[:top]
    return "; ".join(f"{s} ({totals[s]})" if totals[s] else s for s in ranked)


def street_counts(locations: pd.Series, *, top: int = 3) -> str:
    """The ``top`` most common streets of some incidents, ``"street (n); ..."``, counted in full.

    Every incident counts towards its street (:func:`street_level`, with
    police.uk's "On or near" taken off, so a police.uk and a council row of one
    street count together); places with no recognisable street are left out.
    Ties keep the order of first appearance.

    Examples
    --------
    >>> street_counts(pd.Series(["6 Unicorn Hill", "8 Unicorn Hill", "On or near Unicorn Hill",
    ...                          "1 Bates Hill", "1 Bates Hill", "Mrs Smith's house"]))
    'Unicorn Hill (3); Bates Hill (2)'
    """
    streets = _map_unique(pd.Series(locations, dtype=object), _street_key)
    counts = streets[streets != ""].value_counts(sort=False)
    if counts.empty:
        return ""
    first = {s: i for i, s in enumerate(pd.unique(streets[streets != ""]))}
    ranked = sorted(counts.index, key=lambda s: (-counts[s], first[s]))[:top]
    return "; ".join(f"{s} ({counts[s]})" for s in ranked)


def _street_key(text: object) -> str:
    """The street an incident counts towards: its street level without "On or near"."""
    street = street_level(text)
    if street == WITHHELD:
        return ""
    return street[len(_NEAR) :] if street.startswith(_NEAR) else street


def public_points(
    incidents,
    *,
    cell_m: float = PUBLIC_CELL_M,
    min_cases: int = MIN_CASES_SHOWN,
    levels: int = COARSER_LEVELS,
):
    """The incident points a viewer's map may show.

    police.uk rows (``date_precision == "month"``) keep their map points:
    police.uk publishes them already snapped to anonymous points. Every other
    row (a council case, geocoded to its postcode's centroid or given its own
    coordinates) moves to the centre of its ``cell_m`` grid cell when that
    cell holds at least ``min_cases`` such rows; the others try a grid twice as
    coarse, and so on ``levels`` times (100, 200, 400, 800 m); rows still in a
    cell of fewer than ``min_cases`` are left out. So no point shown stands for
    fewer than ``min_cases`` cases, and none is finer than ``cell_m``.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points (any CRS; the grid is laid in EPSG:27700). Without a
        ``date_precision`` column every row is treated as a council row.
    cell_m : float
        The finest grid, metres.
    min_cases : int
        The fewest cases a shown cell stands for.
    levels : int
        How many times a grid twice as coarse is tried for the rest.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame, EPSG:27700, the rows kept with their columns and the
        moved points; ``attrs["withheld"]`` counts the rows left out (and
        ``cell_m``, ``coarsest_m`` and ``min_cases`` say the rule, for the map's legend).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"date_precision": ["day"] * 5 + ["month"]}, crs=27700,
    ...                        geometry=[Point(404107, 267511)] * 5 + [Point(406001, 266003)])
    >>> shown = public_points(pts)
    >>> sorted(set(zip(shown.geometry.x, shown.geometry.y))), shown.attrs["withheld"]
    ([(404150.0, 267550.0), (406001.0, 266003.0)], 0)
    """
    import geopandas as gpd

    frame = incidents.to_crs(27700) if incidents.crs is not None else incidents.set_crs(27700)
    if "date_precision" in frame.columns:
        council = frame["date_precision"].astype(str).to_numpy() != "month"
    else:
        council = np.ones(len(frame), dtype=bool)
    x = frame.geometry.x.to_numpy()
    y = frame.geometry.y.to_numpy()
    px, py = x.copy(), y.copy()
    todo = council.copy()  # council rows not placed yet
    size = float(cell_m)
    for _ in range(levels + 1):
        rows = np.flatnonzero(todo)
        if not len(rows):
            break
        i, j = np.floor(x[rows] / size), np.floor(y[rows] / size)
        _, cell, count = np.unique(np.column_stack([i, j]), axis=0, return_inverse=True,
                                   return_counts=True)  # fmt: skip
        placed = count[cell.ravel()] >= min_cases
        px[rows[placed]] = (i[placed] + 0.5) * size
        py[rows[placed]] = (j[placed] + 0.5) * size
        todo[rows[placed]] = False
        size *= 2
    keep = ~todo
    shown = gpd.GeoDataFrame(
        frame.drop(columns=frame.geometry.name).loc[keep].reset_index(drop=True),
        geometry=gpd.points_from_xy(px[keep], py[keep]),
        crs=27700,
    )
    shown.attrs.update(incidents.attrs)
    shown.attrs.update(withheld=int(todo.sum()), cell_m=cell_m, coarsest_m=cell_m * 2**levels,
                       min_cases=min_cases)  # fmt: skip
    return shown


def _map_unique(values: pd.Series, func) -> pd.Series:
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = pd.Series([func(v) for v in uniques] + [""], dtype=object)
    return pd.Series(mapped.to_numpy()[codes], index=values.index, name=values.name)


def redact_places(table: pd.DataFrame, *, withheld: str = WITHHELD) -> pd.DataFrame:
    """A copy of ``table`` with its place columns at street level (see :func:`street_level`).

    ``location`` and ``place`` hold one place each; ``top_locations`` and
    ``locations`` hold ``"place (n); ..."`` lists. Other columns, the geometry
    and ``attrs`` are kept; the input is not changed. Each distinct text is
    converted once; ``place`` is kept as it is in a table of labelled hotspots
    (one with ``label``: a tasking sheet), whose places are street level by
    construction (:func:`hotspots.analysis.labels.hotspot_places`).
    ``withheld`` replaces a single place with no recognisable
    street (``""`` for incidents that are summarised afterwards, so that the
    most common place is a street).

    A hotspot table's ``top_streets`` (counts of every incident's street,
    :func:`street_counts`) takes the place of its ``top_locations``: the
    counts of the three most common addresses, redacted, would undercount.

    Examples
    --------
    >>> t = pd.DataFrame({"place": ["6 Unicorn Hill, Redditch"], "incidents": [4]})
    >>> redact_places(t).to_dict("records")
    [{'place': 'Unicorn Hill', 'incidents': 4}]
    """
    out = table.copy()
    lists = PLACE_LIST_COLUMNS
    if "top_streets" in out.columns:  # streets already: not redacted again
        if "top_locations" in out.columns:
            out["top_locations"] = out["top_streets"]
            lists = tuple(c for c in PLACE_LIST_COLUMNS if c != "top_locations")
        out = out.drop(columns="top_streets")

    def single(text: object) -> str:
        street = street_level(text)
        return withheld if street == WITHHELD else street

    # A table with hotspot labels (hotspots.analysis.labels): its ``place`` is the label's
    # place, street level already; a second pass would withhold "Headless Cross".
    made = "label" in out.columns
    for col in PLACE_COLUMNS:
        if col in out.columns and not (made and col == "place"):
            out[col] = _map_unique(out[col], single)
    for col in lists:
        if col in out.columns:
            out[col] = _map_unique(out[col], street_level_counts)
    out.attrs.update(table.attrs)
    return out
