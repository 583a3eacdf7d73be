"""One place label per hotspot: rank and main streets from police.uk place text."""

from __future__ import annotations

import re

_ON_OR_NEAR = re.compile(r"^\s*on or near\s+", re.IGNORECASE)


#: police.uk anonymous place types ("On or near Parking Area"): a hotspot is named by a
#: street when its incidents have one, by one of these only when they have none.
PLACE_TYPES = frozenset(
    {"parking area", "shopping area", "supermarket", "petrol station", "park/open space",
     "sports/recreation area", "nightclub", "further/higher educational building", "hospital",
     "police station", "theatre/concert hall", "conference/exhibition centre", "bus/coach station",
     "train station", "airport/airfield", "prison", "pedestrian subway", "other road",
     "footpath", "theme/adventure park", "sports centre"}
)  # fmt: skip


_COUNTED = re.compile(r"^(?P<name>.*?)\s*\((?P<n>\d+)\)\s*$")


def _places(text: str) -> list[tuple[str, int]]:
    """``[(place, count)]`` from ``"On or near A (5); On or near B (2)"`` (count 1 when none)."""
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        m = _COUNTED.match(part)
        name, n = (m.group("name"), int(m.group("n"))) if m else (part, 1)
        name = _ON_OR_NEAR.sub("", name).strip()
        if name:
            out.append((name, n))
    return out


def main_street(text: str | None) -> str:
    """The street a hotspot is on, from police.uk ``Location`` text.

    Takes a ``top_locations`` list (``"On or near X (12); ..."``) or one
    location. Streets come before police.uk's anonymous place types
    (:data:`PLACE_TYPES`, e.g. "Parking Area"); a second street with at least
    half as many incidents as the first is named too ("Vine Street / Unicorn
    Hill"). With no street at all, the place type is given.

    Examples
    --------
    >>> main_street("On or near Unicorn Hill (30); On or near Market Place (4)")
    'Unicorn Hill'
    >>> main_street("On or near Parking Area (10); On or near Herbert Street (7)")
    'Herbert Street'
    >>> main_street("On or near Vine Street (7); On or near Unicorn Hill (6); On or near Bates Hill (3)")
    'Vine Street / Unicorn Hill'
    >>> main_street("On or near Parking Area"), main_street(None)
    ('Parking Area', '')
    """
    if not text or not isinstance(text, str):
        return ""
    places = _places(text)
    streets = [(name, n) for name, n in places if name.lower() not in PLACE_TYPES]
    if not streets:
        return places[0][0] if places else ""
    names = [streets[0][0]]
    if len(streets) > 1 and streets[1][1] * 2 >= streets[0][1]:
        names.append(streets[1][0])
    return " / ".join(names)


def hotspot_label(rank: int, place: str | None) -> str:
    """The map label of a hotspot: its rank and main street.

    Examples
    --------
    >>> hotspot_label(1, "On or near Unicorn Hill (30); On or near Bates Hill (4)")
    '1 Unicorn Hill'
    >>> hotspot_label(7, "")
    '7'
    """
    street = main_street(place)
    return f"{int(rank)} {street}" if street else f"{int(rank)}"


def hotspot_labels(hotspots) -> list[str]:
    """Labels of many hotspots: ``rank`` (else ``cluster_id``) and the main street.

    The street comes from ``top_locations`` (clusters), ``locations`` (a
    tasking sheet) or ``place``.

    Examples
    --------
    >>> import pandas as pd
    >>> hotspot_labels(pd.DataFrame({"cluster_id": [1], "top_locations": ["On or near A (3)"]}))
    ['1 A']
    """
    ranks = hotspots["rank"] if "rank" in hotspots else hotspots["cluster_id"]
    column = next((c for c in ("top_locations", "locations", "place") if c in hotspots), None)
    places = hotspots[column] if column else [""] * len(hotspots)
    return [hotspot_label(r, p) for r, p in zip(ranks, places)]
