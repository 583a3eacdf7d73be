"""One place label per hotspot: rank and main streets from police.uk place text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hotspots.privacy import WITHHELD, street_level

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
    if "label" in hotspots:  # the results layer's one label (hotspots.results)
        return [str(v) for v in hotspots["label"]]
    ranks = hotspots["rank"] if "rank" in hotspots else hotspots["cluster_id"]
    column = next((c for c in ("top_locations", "locations", "place") if c in hotspots), None)
    places = hotspots[column] if column else [""] * len(hotspots)
    return [hotspot_label(r, p) for r, p in zip(ranks, places)]


def _street_name(text: object) -> str:
    """A location at street level without "On or near" ("" when withheld or empty)."""
    street = street_level(text)
    return "" if street in ("", WITHHELD) else _ON_OR_NEAR.sub("", street).strip()


def place_labels(
    hotspots: pd.DataFrame,
    incidents: pd.DataFrame,
    members: pd.Series,
) -> pd.Series:
    """One label per hotspot, from every one of its incidents' locations, at street level.

    The label is the hotspot's rank (``cluster_id``) and main street: the
    street most of its incidents are on, and a second one when it holds at
    least half as many ("1 Vine Street / Unicorn Hill"). Every location is
    first put at street level (:func:`hotspots.privacy.street_level`: no house
    number, flat or business name), so the label is the same for viewers and
    analysts. police.uk's anonymous place types (:data:`PLACE_TYPES`, e.g.
    "Parking Area") never stand alone: a hotspot whose incidents are all on
    place types is named by the place type and the street nearest its busiest
    point among the located incidents given ("3 Parking Area near Herbert
    Street"). Ties keep the order in which the streets first appear.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        ``cluster_id`` of each hotspot (and ``point_x``/``point_y``, its busiest
        point in EPSG:27700, for the nearest street).
    incidents : pandas.DataFrame
        The clustered incidents (``location``; a geometry for the nearest street).
    members : pandas.Series
        ``cluster_id`` of each incident (``<NA>`` for noise), index-aligned.

    Returns
    -------
    pandas.Series
        The labels, index-aligned with ``hotspots``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> inc = gpd.GeoDataFrame(
    ...     {"location": ["On or near Parking Area"] * 3 + ["On or near Herbert Street"] * 2
    ...                  + ["Flat 2, 14 Market Place"] * 2 + ["On or near Parking Area"] * 2},
    ...     geometry=gpd.points_from_xy([0, 0, 0, 5, 5, 900, 900, 2000, 2000], [0] * 9), crs=27700)
    >>> hs = pd.DataFrame({"cluster_id": [1, 2, 3], "point_x": [0.0, 900.0, 2000.0],
    ...                    "point_y": [0.0, 0.0, 0.0]})
    >>> place_labels(hs, inc, pd.Series([1, 1, 1, 1, 1, 2, 2, 3, 3])).tolist()
    ['1 Herbert Street', '2 Market Place', '3 Parking Area near Market Place']
    """
    ids = pd.to_numeric(hotspots["cluster_id"]).astype(int).to_numpy()
    if len(ids) == 0:
        return pd.Series([], index=hotspots.index, dtype=object)
    cid = pd.to_numeric(members.reindex(incidents.index), errors="coerce")
    has_place = "location" in incidents.columns
    codes, uniques = pd.factorize(incidents["location"].astype(object)) if has_place else (
        np.full(len(incidents), -1), np.array([], dtype=object))  # fmt: skip
    names = np.array([_street_name(u) for u in uniques] + [""], dtype=object)
    name = names[codes]  # code -1 (no text) is the last entry: ""
    frame = pd.DataFrame({"cluster_id": cid.to_numpy(), "name": name})
    frame = frame[frame["cluster_id"].isin(ids) & (frame["name"] != "")]
    frame["seen"] = np.arange(len(frame))
    counted = (
        frame.groupby(["cluster_id", "name"], sort=False)
        .agg(n=("seen", "size"), seen=("seen", "first"))
        .reset_index()
        .sort_values(["cluster_id", "n", "seen"], ascending=[True, False, True])
    )
    counted["street"] = ~counted["name"].str.lower().isin(PLACE_TYPES)
    streets = counted[counted["street"]]
    text: dict[int, str] = {}
    for cluster, group in streets.groupby("cluster_id", sort=False):
        top = group.head(2)
        named = [top["name"].iloc[0]]
        if len(top) > 1 and top["n"].iloc[1] * 2 >= top["n"].iloc[0]:
            named.append(top["name"].iloc[1])
        text[int(cluster)] = " / ".join(named)
    only_types = counted[~counted["cluster_id"].isin(text)].drop_duplicates("cluster_id")
    if len(only_types):  # place types only: the street nearest the busiest point
        near = _nearest_streets(hotspots, only_types["cluster_id"].to_numpy(), incidents, name)
        for cluster, kind in zip(only_types["cluster_id"], only_types["name"]):
            street = near.get(int(cluster), "")
            text[int(cluster)] = f"{kind} near {street}" if street else kind
    labels = [f"{i} {text[i]}" if text.get(i) else f"{i}" for i in (int(v) for v in ids)]
    return pd.Series(labels, index=hotspots.index, dtype=object)


def _nearest_streets(
    hotspots: pd.DataFrame, clusters: np.ndarray, incidents: pd.DataFrame, name: np.ndarray
) -> dict[int, str]:
    """The street of the located incident nearest each hotspot's busiest point."""
    from scipy.spatial import cKDTree

    if "geometry" not in incidents or not {"point_x", "point_y"} <= set(hotspots.columns):
        return {}
    is_street = np.array([bool(n) and n.lower() not in PLACE_TYPES for n in name], dtype=bool)
    if not is_street.any():
        return {}
    geoms = incidents.geometry
    if getattr(geoms, "crs", None) is not None and geoms.crs.to_epsg() != 27700:
        geoms = geoms.to_crs(27700)
    xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])[is_street]
    streets = name[is_street]
    at = hotspots.set_index(pd.to_numeric(hotspots["cluster_id"]).astype(int))
    points = at.loc[clusters, ["point_x", "point_y"]].to_numpy(dtype=float)
    _, nearest = cKDTree(xy).query(points)
    return {int(c): str(streets[k]) for c, k in zip(clusters, nearest)}
