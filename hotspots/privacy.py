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
table (``location``, ``place``, ``top_locations``, ``locations``).
"""

from __future__ import annotations

import re

import pandas as pd

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

    Examples
    --------
    >>> t = pd.DataFrame({"place": ["6 Unicorn Hill, Redditch"], "incidents": [4]})
    >>> redact_places(t).to_dict("records")
    [{'place': 'Unicorn Hill', 'incidents': 4}]
    """
    out = table.copy()

    def single(text: object) -> str:
        street = street_level(text)
        return withheld if street == WITHHELD else street

    # A table with hotspot labels (hotspots.analysis.labels): its ``place`` is the label's
    # place, street level already; a second pass would withhold "Headless Cross".
    made = "label" in out.columns
    for col in PLACE_COLUMNS:
        if col in out.columns and not (made and col == "place"):
            out[col] = _map_unique(out[col], single)
    for col in PLACE_LIST_COLUMNS:
        if col in out.columns:
            out[col] = _map_unique(out[col], street_level_counts)
    out.attrs.update(table.attrs)
    return out
