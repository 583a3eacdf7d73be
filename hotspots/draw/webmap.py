"""Interactive hotspot maps (folium): data in, a :class:`folium.Map` out.

The map of one selection has, as layers an officer can switch on and off:

* **Hotspots**: cluster outlines (class ``hotspot-hull``) coloured by incident
  count on the colour-blind-safe classes of :mod:`hotspots.draw.cartography`, with a
  popup each (incidents, share, top locations and categories, months, ward,
  change against the same season a year before), and a label "rank + main
  street" (``1 Unicorn Hill``) so the map reads with no basemap;
* **Heat**: incident density aggregated to a grid (one weighted point per
  cell, never one per incident, so the page stays small), viridis gradient;
* **Wards**: a choropleth of counts (or rate per 1,000 residents where
  population is known), always with outlines and name labels;
* **How places changed** (``patterns=``, off until switched on): the grid
  cells hot in any season up to the selected one, coloured by their pattern
  (:mod:`hotspots.analysis.patterns`; colours of :mod:`hotspots.draw.cartography`, none a hotspot's,
  a legend row per class), with a tooltip naming the class and the seasons the
  place was hot; neighbouring cells with the same history are drawn as one shape;
* **Roads** (``roads=``): street lines and names from street zoom;
* **Incident points**: a fast clustered-marker layer, capped at ``max_points``
  (a fixed random sample beyond that);
* the focus areas (town and district centres, labelled), a legend (class
  ``hotspot-legend``), the data's and the basemap's attribution, a "Whole
  borough" button, zoom limited to the study area, and a message on the page
  when basemap tiles fail to load.

Basemap tiles come from a :class:`hotspots.draw.basemap.Basemap` (none by default). Render with
:func:`hotspots.draw.assets.localized_html` (web app) or
:func:`hotspots.draw.assets.standalone_html` (one file).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import urlsplit

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import FastMarkerCluster, HeatMap

from hotspots._validate import WEB_CRS, check_columns, to_analysis_crs
from hotspots.analysis import labels as place_labels
from hotspots.analysis.population import rate_per_1000
from hotspots.analysis.seasons import month_runs
from hotspots.analysis.wards import ward_counts
from hotspots.draw import cartography as carto
from hotspots.draw._leaflet import (
    _CSS,
    POINT_CALLBACK,
    Attribution,
    Basemap_,
    LazyPatterns,
    Legend,
    MapLayout,
    Navigation,
    Roads,
)
from hotspots.draw.basemap import Basemap
from hotspots.read.geocode import bng_to_lonlat
from hotspots.read.roads import (
    NO_STREETS_NOTE,
    clip_roads,
    name_points,
    names_only,
    roads_attribution,
)

#: Heat cells are this many metres across, doubled until there are at most MAX_HEAT_CELLS.
HEAT_CELL_M = 75.0
MAX_HEAT_CELLS = 4000


# --------------------------------------------------------------------------- data for layers


def ward_summary(
    incidents: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    population: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Incidents per ward, and the rate per 1,000 residents where population is known.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The selection, with a ``ward`` column.
    wards : geopandas.GeoDataFrame
        Boundaries (``ward_code``, ``ward_name``); every ward gets a row.
    population : pandas.Series, optional
        Residents, indexed by the boundaries' ward names.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ward_code``, ``ward_name``, ``incidents``, ``population`` and
        ``rate_per_1000`` (missing where the population is unknown), geometry.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> w = gpd.GeoDataFrame({"ward_code": ["A", "B"], "ward_name": ["Abbey", "West"]},
    ...                      geometry=[None, None])
    >>> i = pd.DataFrame({"ward": ["Abbey", "Abbey", "West"]})
    >>> s = ward_summary(i, w, population=pd.Series({"Abbey": 4000}))
    >>> s[["ward_name", "incidents", "rate_per_1000"]].values.tolist()
    [['Abbey', 2, 0.5], ['West', 1, nan]]
    """
    check_columns(incidents, ["ward"], argument="incidents")
    check_columns(wards, ["ward_code", "ward_name"], argument="wards")
    out = wards[["ward_code", "ward_name", wards.geometry.name]].copy()
    out["incidents"] = ward_counts(incidents, wards).to_numpy(dtype="int64")
    pop = pd.Series(np.nan, index=out.index)
    if population is not None:
        pop = out["ward_name"].map(population).astype(float)
    out["population"] = pop.to_numpy()
    out["rate_per_1000"] = rate_per_1000(out["incidents"], pop)
    return out


def heat_grid(
    incidents: gpd.GeoDataFrame, *, cell_m: float = HEAT_CELL_M, max_cells: int = MAX_HEAT_CELLS
) -> list[list[float]]:
    """Aggregate incidents to grid cells: one ``[lat, lon, count]`` per occupied cell.

    The cell size doubles until at most ``max_cells`` cells are occupied, so the
    heat layer's size does not grow with the number of incidents.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(404100, 267500)] * 3 + [Point(405000, 268000)],
    ...                        crs=27700)
    >>> sorted(row[2] for row in heat_grid(pts))
    [1, 3]
    """
    if incidents.empty:
        return []
    geoms = to_analysis_crs(incidents).geometry
    x, y = geoms.x.to_numpy(), geoms.y.to_numpy()
    while True:
        cells = pd.DataFrame({"i": np.floor(x / cell_m), "j": np.floor(y / cell_m)})
        counts = cells.value_counts().reset_index(name="n")
        if len(counts) <= max_cells:
            break
        cell_m *= 2
    lon, lat = bng_to_lonlat((counts["i"] + 0.5) * cell_m, (counts["j"] + 0.5) * cell_m)
    return [
        [round(float(a), 5), round(float(o), 5), int(n)] for a, o, n in zip(lat, lon, counts["n"])
    ]


def sample_points(
    incidents: gpd.GeoDataFrame, *, max_points: int = 2000, seed: int = 0
) -> list[list[float]]:
    """``[lat, lon]`` of the incidents, a fixed random sample of ``max_points`` when more.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(404100 + i, 267500) for i in range(10)], crs=27700)
    >>> len(sample_points(pts, max_points=4)), len(sample_points(pts))
    (4, 10)
    """
    if incidents.empty or max_points <= 0:
        return []
    chosen = incidents
    if len(incidents) > max_points:
        chosen = incidents.sample(n=max_points, random_state=seed)
    geoms = chosen.geometry.to_crs(WEB_CRS)
    return [[round(float(a), 5), round(float(o), 5)] for a, o in zip(geoms.y, geoms.x)]


def _web_features(frame: gpd.GeoDataFrame, columns: list[str], *, simplify_m: float = 0.0) -> dict:
    """A small GeoJSON dict: chosen columns, EPSG:4326, coordinates to 6 decimals."""
    frame = to_analysis_crs(frame)
    geom = frame.geometry.simplify(simplify_m) if simplify_m else frame.geometry
    geom = gpd.GeoSeries(geom, crs=frame.crs).to_crs(WEB_CRS)
    geom = gpd.GeoSeries(shapely.transform(geom.values, lambda c: np.round(c, 6)), crs=WEB_CRS)
    small = gpd.GeoDataFrame(
        frame[columns].reset_index(drop=True), geometry=geom.values, crs=WEB_CRS
    )
    return json.loads(small.to_json(na="null", drop_id=True))


def change_text(row: pd.Series) -> str:
    """Say how a hotspot compares with the same season a year before.

    Examples
    --------
    >>> change_text(pd.Series({"previous": 10, "change": 5, "trend": "growing"}))
    'growing: +5 (10 then)'
    >>> change_text(pd.Series({"incidents": 3}))
    'no earlier year in the data'
    """
    if "trend" not in row or pd.isna(row.get("trend")) or pd.isna(row.get("previous")):
        return "no earlier year in the data"
    return f"{row['trend']}: {int(row['change']):+d} ({int(row['previous'])} then)"


# --------------------------------------------------------------------------- map pieces


def _lat_lon(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    pts = gpd.GeoSeries(geoms, crs=geoms.crs).to_crs(WEB_CRS)
    return np.round(pts.y.to_numpy(), 6), np.round(pts.x.to_numpy(), 6)


def _hull_layer(clusters: gpd.GeoDataFrame) -> tuple[folium.GeoJson | None, carto.Classes | None]:
    if clusters.empty:
        return None, None
    classes = carto.hotspot_classes(clusters)
    frame = clusters.copy()
    frame["_fill"] = classes.colours_for(frame["incidents"])
    frame["share_pct"] = [f"{100 * s:.1f}%" for s in frame["share"]]
    frame["change_text"] = [change_text(row) for _, row in frame.iterrows()]
    frame["months_text"] = [month_runs(m) for m in frame["months"]]  # "Oct–Nov 2018"
    fields = ["cluster_id", "incidents", "share_pct", "top_locations", "top_categories",
              "months_text", "ward", "area", "change_text"]  # fmt: skip
    aliases = ["Hotspot", "Incidents", "Share of selection", "Top locations", "Top categories",
               "Months", "Ward", "Focus area", "Change vs same season last year"]  # fmt: skip
    extra = ["_fill"]
    if "significant" in frame.columns:  # hotspots.analysis.significance: Monte Carlo p, BH FDR
        from hotspots.analysis.significance import chance_text

        sims, alpha = clusters.attrs.get("simulations", 999), clusters.attrs.get("alpha", 0.05)
        model = clusters.attrs.get("chance_model")
        frame["chance_text"] = [
            chance_text(p, q, bool(s), simulations=sims, alpha=alpha, model=model)
            if not pd.isna(p)
            else ""
            for p, q, s in zip(frame["p_value"], frame["q_value"], frame["significant"])
        ]
        # "chance" (not more than chance) gets the dashed, paler style of carto.chance_style
        frame["_chance"] = ["" if pd.isna(p) or bool(s) else "chance"
                            for p, s in zip(frame["p_value"], frame["significant"])]  # fmt: skip
        fields, aliases = [*fields, "chance_text"], [*aliases, "Chance test"]
        extra.append("_chance")
    for col in fields:  # folium's popup writes values as HTML: escape the text here
        frame[col] = [html.escape(str(v)) if not pd.isna(v) else "" for v in frame[col]]
    data = _web_features(frame, [*fields, *extra])

    def style(feature: dict) -> dict:
        chance = feature["properties"].get("_chance") == "chance"
        return {
            "className": "hotspot-hull" + (" hotspot-chance" if chance else ""),
            "color": carto.HOTSPOT_OUTLINE,
            "fillColor": feature["properties"]["_fill"],
            **carto.chance_style(not chance),
        }

    layer = folium.GeoJson(
        data,
        name="Hotspots (DBSCAN clusters)",
        style_function=style,
        highlight_function=lambda f: {"weight": 4},
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, labels=True, max_width=380),
        tooltip=folium.GeoJsonTooltip(
            fields=["cluster_id", "incidents"], aliases=["Hotspot", "Incidents"]
        ),
    )
    return layer, classes


def _hotspot_labels(clusters: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """ "1 Unicorn Hill" above each hotspot (the top of its outline)."""
    group = folium.FeatureGroup(name="Hotspot labels (rank and main street)", show=True)
    hulls = to_analysis_crs(clusters)
    b = hulls.geometry.bounds
    tops = gpd.GeoSeries.from_xy((b["minx"] + b["maxx"]) / 2, b["maxy"], crs=hulls.crs)
    lat, lon = _lat_lon(tops)
    # A hotspot that is not more than chance gets a dashed label box, as its dashed outline.
    chance = (
        (~hulls["significant"].fillna(True).astype(bool)).tolist()
        if "significant" in hulls
        else [False] * len(hulls)
    )
    for y, x, text, weak in zip(lat, lon, place_labels.hotspot_labels(hulls), chance):
        folium.Marker(
            [float(y), float(x)],
            icon=folium.DivIcon(html=f"<div>{html.escape(text)}</div>", icon_size=(0, 0),
                                icon_anchor=(0, 0),
                                class_name="hotspot-label" + (" hotspot-label-chance" if weak else "")),
            interactive=False,
            keyboard=False,  # a label, not a control: no Tab stop, no "button" role
        ).add_to(group)  # fmt: skip
    return group


def pattern_features(patterns: gpd.GeoDataFrame) -> dict:
    """The pattern cells as small GeoJSON (EPSG:4326): one shape per class and history.

    Cells with the same pattern and the same periods hot are dissolved into one
    (multi)polygon, so the page carries each history once. Properties:
    ``pattern``, ``hot_count`` ("7 of 8 seasons"), ``hot_in`` (the periods),
    ``places`` (cells) and ``_fill`` (:data:`hotspots.draw.cartography.PATTERN_COLOURS`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"pattern": ["emerging", "emerging"], "periods_hot": [1, 1],
    ...     "hot_in": ["winter 2018-19"] * 2},
    ...     geometry=[box(404000, 267000, 404050, 267050), box(404050, 267000, 404100, 267050)],
    ...     crs=27700)
    >>> cells.attrs.update(periods=["autumn 2018-19", "winter 2018-19"], by="season")
    >>> f = pattern_features(cells)["features"]
    >>> len(f), f[0]["properties"]["hot_count"], f[0]["properties"]["places"]
    (1, '1 of 2 seasons', 2)
    """
    check_columns(patterns, ["pattern", "periods_hot", "hot_in"], argument="patterns")
    t = len(patterns.attrs.get("periods", []))
    by = patterns.attrs.get("by", "season")
    cells = to_analysis_crs(patterns)[["pattern", "periods_hot", "hot_in", "geometry"]]
    cells = cells.assign(places=1)
    merged = cells.dissolve(by=["pattern", "hot_in"], aggfunc={"periods_hot": "first",
                                                               "places": "sum"}).reset_index()  # fmt: skip
    order = {name: i for i, name in enumerate(carto.PATTERN_COLOURS)}
    merged = merged.sort_values(["pattern", "hot_in"], key=lambda c: c.map(order) if c.name ==
                                "pattern" else c, ignore_index=True)  # fmt: skip
    merged["hot_count"] = [f"{int(k)} of {t} {by}s" for k in merged["periods_hot"]]
    merged["_fill"] = merged["pattern"].map(carto.PATTERN_COLOURS).fillna(carto.NO_VALUE)
    for col in ("pattern", "hot_in"):  # folium writes tooltip values as HTML
        merged[col] = [html.escape(str(v)) for v in merged[col]]
    return _web_features(merged, ["pattern", "hot_count", "hot_in", "places", "_fill"])


def _pattern_layer(patterns: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """The "How places changed" layer (off until switched on in the layer list)."""
    group = folium.FeatureGroup(name=carto.PATTERN_LAYER, show=False)
    folium.GeoJson(
        pattern_features(patterns),
        name=carto.PATTERN_LAYER,
        style_function=lambda f: {
            "className": "pattern-cell",
            "color": carto.PATTERN_OUTLINE,
            "weight": 0.6,
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": carto.PATTERN_WEB_OPACITY,
        },
        highlight_function=lambda f: {"weight": 2},
        tooltip=folium.GeoJsonTooltip(fields=["pattern", "hot_count", "hot_in"],
                                      aliases=["Pattern", "Hot", "When hot"],
                                      style="white-space: normal; width: 300px;"),
    ).add_to(group)  # fmt: skip
    return group


def _ward_layer(
    ward_stats: gpd.GeoDataFrame, holes=None
) -> tuple[folium.FeatureGroup, str, carto.Classes]:
    """The ward choropleth; ``holes`` (EPSG:27700, the hotspots' hulls) are left unfilled.

    A hotspot is then drawn over the basemap, not over a ward's blue: its colour
    on screen is its legend swatch's (:func:`hotspots.draw.cartography.legend_entries`
    draws the swatch with the hull's opacity).
    """
    use_rate = bool(ward_stats["rate_per_1000"].notna().any())
    value_col = "rate_per_1000" if use_rate else "incidents"
    title = "Wards: incidents per 1,000 residents" if use_rate else "Wards: incidents"
    if "period" in ward_stats.attrs:
        title += f" ({ward_stats.attrs['period']})"
    classes = carto.ward_classes(ward_stats[value_col])
    frame = ward_stats.copy()
    frame["_fill"] = classes.colours_for(frame[value_col])
    frame["ward_label"] = [html.escape(str(v)) for v in frame["ward_name"]]
    frame["rate_text"] = [f"{v:g}" if not pd.isna(v) else "" for v in frame["rate_per_1000"]]
    if holes is not None and not holes.is_empty:
        frame = to_analysis_crs(frame)
        frame = frame.set_geometry(frame.geometry.difference(holes))
    fields, aliases = ["ward_label", "incidents"], ["Ward", "Incidents"]
    if use_rate:  # no rate line at all without a population table; blank for a ward without one
        fields, aliases = [*fields, "rate_text"], [*aliases, "Per 1,000 residents"]
    data = _web_features(frame, [*fields, "_fill"], simplify_m=5.0)
    group = folium.FeatureGroup(name=title, show=True)
    folium.GeoJson(
        data,
        name=title,
        style_function=lambda f: {
            "className": "ward-area",
            "color": carto.WARD_OUTLINE,
            "weight": 1.5,
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": carto.WARD_WEB_OPACITY,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(group)
    return group, title, classes


def _ward_labels(ward_stats: gpd.GeoDataFrame) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Ward names", show=True)
    points = to_analysis_crs(ward_stats).geometry.representative_point().to_crs(WEB_CRS)
    for name, pt in zip(ward_stats["ward_name"], points):
        folium.Marker(
            [round(pt.y, 6), round(pt.x, 6)],
            icon=folium.DivIcon(
                html=f"<div>{html.escape(str(name))}</div>",
                icon_size=(160, 16),
                icon_anchor=(80, 8),
                class_name="ward-label",
            ),
            interactive=False,
            keyboard=False,  # a label, not a control: no Tab stop, no "button" role
        ).add_to(group)
    return group


def _area_layer(areas: gpd.GeoDataFrame) -> folium.FeatureGroup:
    frame = areas.copy()
    kinds = frame["kind"] if "kind" in frame else [None] * len(frame)
    frame["label"] = [
        html.escape(carto.centre_label(str(n), k)) for n, k in zip(frame["name"], kinds)
    ]
    group = folium.FeatureGroup(name="Town and district centres", show=True)
    folium.GeoJson(
        _web_features(frame, ["label"]),
        name="Town and district centres",
        style_function=lambda f: {
            "className": "focus-area",
            "color": carto.CENTRE_COLOUR,
            "weight": 1.5,
            "dashArray": " ".join(str(v) for v in carto.CENTRE_DASH),
            "fill": False,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(group)
    shapes = to_analysis_crs(frame)
    b = shapes.geometry.bounds
    anchors = gpd.GeoSeries.from_xy((b["minx"] + b["maxx"]) / 2, b["miny"], crs=shapes.crs)
    lat, lon = _lat_lon(anchors)
    for y, x, name in zip(lat, lon, frame["name"]):
        folium.Marker(
            [float(y), float(x)],
            icon=folium.DivIcon(html=f"<div>{html.escape(str(name))}</div>", icon_size=(160, 16),
                                icon_anchor=(80, -2), class_name="centre-label"),
            interactive=False,
            keyboard=False,  # a label, not a control: no Tab stop, no "button" role
        ).add_to(group)  # fmt: skip
    return group


def road_features(
    roads: gpd.GeoDataFrame, bounds, *, simplify_m: float = 1.0
) -> tuple[dict, list[list]]:
    """The roads near ``bounds`` (EPSG:27700) as small GeoJSON, and their name labels.

    Returns
    -------
    tuple
        A GeoJSON dict (``kind`` per line, EPSG:4326) and ``[lat, lon, name, angle]``
        per road name (names HTML-escaped).

    Examples
    --------
    >>> from boundaries import get_path
    >>> from hotspots.read.roads import read_roads
    >>> lines, names = road_features(read_roads(get_path("demo-roads")), (403000, 266000, 405000, 268000))
    >>> len(lines["features"]) > 0, any(n[2] == "Unicorn Hill" for n in names)
    (True, True)
    """
    near = clip_roads(to_analysis_crs(roads), bounds)
    lines = _web_features(near, ["kind"], simplify_m=simplify_m) if len(near) else {
        "type": "FeatureCollection", "features": []}  # fmt: skip
    pts = name_points(near)
    lat, lon = _lat_lon(pts.geometry) if len(pts) else ([], [])
    names = [[float(a), float(o), html.escape(str(n)), float(t)]
             for a, o, n, t in zip(lat, lon, pts["name"], pts["angle"])]  # fmt: skip
    return lines, names


def _bounds(geometry, fallback: gpd.GeoDataFrame) -> list[list[float]]:
    if geometry is None or geometry.is_empty:
        geometry = to_analysis_crs(fallback).union_all()
    geom = geometry
    x0, y0, x1, y1 = geom.bounds
    lon, lat = bng_to_lonlat([x0, x1], [y0, y1])
    return [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def hotspot_map(
    ward_stats: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame | None = None,
    focus=None,
    basemap: Basemap | None = None,
    tile_url: str | dict | None = None,
    roads: gpd.GeoDataFrame | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
    max_points: int = 2000,
    caption: str | None = None,
    patterns: gpd.GeoDataFrame | None = None,
    patterns_url: str | None = None,
    pattern_periods: list[str] | None = None,
) -> folium.Map:
    """Build the hotspot map of one selection.

    Parameters
    ----------
    ward_stats : geopandas.GeoDataFrame
        From :func:`ward_summary` (outlines, counts, rates).
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.analysis.hotspots.hotspots_for`, optionally with the
        ``previous``/``change``/``trend`` columns of
        :func:`hotspots.analysis.trend.change_vs_previous`.
    incidents : geopandas.GeoDataFrame
        The selection's incidents (for the heat grid and the capped points).
    areas : geopandas.GeoDataFrame, optional
        Focus areas (``name``, ``kind``) to outline and label.
    focus : shapely geometry, optional
        EPSG:27700 shape the view fits (a ward or focus area); the wards when None.
    basemap : hotspots.draw.basemap.Basemap, optional
        Tiles under the map (none by default).
    tile_url : str or dict, optional
        Where the browser gets a local file's tiles: the web app's
        ``/tiles/{z}/{x}/{y}.png`` route, or the tiles themselves
        (``{"z/x/y": data URI}``, :func:`hotspots.draw.basemap.embedded_tiles`) for
        a one-file map.
    roads : geopandas.GeoDataFrame, optional
        Streets (:func:`hotspots.read.roads.read_roads`), drawn with their names
        from street zoom.
    tiles_url, tiles_attribution : str, optional
        A tile URL template and its attribution (the older way to give a basemap).
    max_points : int, default 2000
        Cap on the incident markers.
    caption : str, optional
        A line for the legend, e.g. the selection.
    patterns : geopandas.GeoDataFrame, optional
        :func:`hotspots.analysis.patterns.place_patterns` up to the selection: the "How
        places changed" layer (off until switched on) and its legend rows.
    patterns_url, pattern_periods : str and list of str, optional
        Instead of ``patterns``: the layer is listed empty and filled from
        ``patterns_url`` (GeoJSON of :func:`pattern_features`) the first time
        it is switched on; ``pattern_periods`` label its legend (two or more).

    Returns
    -------
    folium.Map
        Render it with :mod:`hotspots.draw.assets`.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> w = gpd.GeoDataFrame({"ward_code": ["A"], "ward_name": ["Abbey"]},
    ...                      geometry=[box(404000, 267000, 405000, 268000)], crs=27700)
    >>> empty = gpd.GeoDataFrame({"ward": []}, geometry=[], crs=27700)
    >>> m = hotspot_map(ward_summary(empty, w), empty, empty)
    >>> type(m).__name__
    'Map'
    """
    if basemap is None and tiles_url:
        basemap = Basemap("url", tiles_url, tiles_url, None, tiles_attribution or "Basemap")
    # maxZoom is needed by the marker clusters when there is no tile layer to give one.
    # zoomSnap 0.25: the borough fills the frame (whole zoom levels left a phone's borough at
    # half the frame's width); the zoom buttons still step whole levels
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True, maxZoom=19, zoomSnap=0.25)
    m.get_root().header.add_child(folium.Element(_CSS), name="hotspots_css")
    has_roads = roads is not None and len(roads) > 0
    if basemap is not None and basemap.enabled:
        url = tile_url or basemap.web_url()
        if url:
            where = Path(basemap.source).name if basemap.is_local else urlsplit(str(url)).netloc
            Basemap_(url, basemap.attribution, source=where, max_native=basemap.max_zoom,
                     min_native=basemap.min_zoom, roads=has_roads).add_to(m)  # fmt: skip
    notes = []
    holes = to_analysis_crs(clusters).geometry.union_all() if len(clusters) else None
    ward_group, ward_title, ward_cls = _ward_layer(ward_stats, holes)
    ward_group.add_to(m)
    _ward_labels(ward_stats).add_to(m)
    centres: list[str] = []
    if areas is not None and not areas.empty:
        _area_layer(areas).add_to(m)
        centres = [str(n) for n in areas["name"]]
    heat = heat_grid(incidents)
    if heat:
        gradient = {str(k): v for k, v in carto.HEAT_GRADIENT.items()}
        HeatMap(heat, name="Heat (incident density)", show=False, radius=18, blur=15,
                min_opacity=0.3, max_zoom=16, gradient=gradient).add_to(m)  # fmt: skip
    points = sample_points(incidents, max_points=max_points)
    if points:
        total = len(incidents) + incidents.attrs.get("withheld", 0)  # a viewer's: some left off
        shown = f"{len(points):,} of {total:,}" if len(points) < total else f"{len(points):,}"
        # folium's FastMarkerCluster always adds itself to its parent, whatever ``show``
        # says: a hidden group around it keeps the points off until they are switched on.
        group = folium.FeatureGroup(name=f"Incident points ({shown})", show=False).add_to(m)
        FastMarkerCluster(points, callback=POINT_CALLBACK, control=False).add_to(group)
    pattern_rows: list[carto.LegendEntry] = []
    if patterns is not None and len(patterns):
        _pattern_layer(patterns).add_to(m)
        pattern_rows = carto.pattern_legend_entries(patterns.attrs.get("periods", []),
                                                    by=patterns.attrs.get("by", "season"))  # fmt: skip
    elif patterns_url and pattern_periods and len(pattern_periods) >= 2:
        group = folium.FeatureGroup(name=carto.PATTERN_LAYER, show=False).add_to(m)
        LazyPatterns(patterns_url, m.get_name()).add_to(group)
        pattern_rows = carto.pattern_legend_entries(pattern_periods)
    hulls, hull_cls = _hull_layer(clusters)
    if hulls is not None:
        hulls.add_to(m)
        _hotspot_labels(clusters).add_to(m)
    else:
        notes.append("No hotspot in this selection.")
    home = _bounds(None, ward_stats)
    if has_roads:
        x0, y0, x1, y1 = to_analysis_crs(ward_stats).total_bounds
        lines, names = road_features(roads, (x0, y0, x1, y1))
        Roads(lines, names).add_to(m)
    tested = hulls is not None and "significant" in clusters.columns
    entries = carto.legend_entries(hotspots=hull_cls, wards=ward_cls, ward_title=ward_title,
                                   heat=bool(heat), centres=centres, roads=has_roads, no_streets=not has_roads,
                                   street_names_only=has_roads and names_only(roads), ranks_alone=True,
                                   chance=clusters.attrs.get("simulations", 999) if tested else None,
                                   chance_model=clusters.attrs.get("chance_model"),
                                   hotspot_opacity=carto.HOTSPOT_WEB_OPACITY,
                                   ward_opacity=carto.WARD_WEB_OPACITY)  # fmt: skip
    after = max((i + 1 for i, e in enumerate(entries)
                 if e.section == "Hotspots: incidents" or e.section.startswith("Chance test")),
                default=0)  # the pattern classes right under the hotspot classes  # fmt: skip
    entries[after:after] = pattern_rows
    if caption:
        notes.insert(0, caption)
    if not has_roads:
        notes.append(NO_STREETS_NOTE + ".")
    notes.append(
        "Heat, incident points"
        + (" and how places changed" if pattern_rows else "")
        + ": switch on in the layer list."
    )
    if "withheld" in incidents.attrs:  # a viewer's points (hotspots.privacy.public_points)
        a = incidents.attrs
        notes.append(
            f"Council cases are shown on a {a.get('cell_m', 100):g} m grid, or up to "
            f"{a.get('coarsest_m', 800):g} m where fewer than {a.get('min_cases', 5)} share a "
            f"cell ({a['withheld']:,} still alone are not shown)."
        )
    Legend(entries, notes).add_to(m)
    Attribution(carto.attribution(streets=roads_attribution(roads) if has_roads else None)).add_to(
        m
    )
    # The first view, at once (no zoom animation) and before Navigation limits the zoom: a
    # zoom animation running when an officer (or a test) moves the map undoes the move at its end.
    first_view = folium.map.FitBounds(_bounds(focus, ward_stats))
    first_view.options["animate"] = False
    first_view.add_to(m)
    Navigation(home).add_to(m)
    control = folium.LayerControl(collapsed=False, position="topright").add_to(m)
    MapLayout(control).add_to(m)
    return m
