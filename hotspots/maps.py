"""Interactive hotspot maps (folium): data in, a :class:`folium.Map` out.

The map of one selection has, as layers an officer can switch on and off:

* **Hotspots**: cluster outlines (class ``hotspot-hull``) coloured by incident
  count on a colour-blind-safe scale (viridis), with a popup each: incidents,
  share, top locations and categories, months, ward, change against the same
  season a year before;
* **Heat**: incident density aggregated to a grid (one weighted point per
  cell, never one per incident, so the page stays small);
* **Wards**: a choropleth of counts (or rate per 1,000 residents where
  population is known, cividis), always with outlines and name labels, so the
  map reads well with no basemap;
* **Incident points**: a fast clustered-marker layer, capped at ``max_points``
  (a fixed random sample beyond that);
* the focus areas (town and district centres), a legend (class
  ``hotspot-legend``) and the data's licence attribution.

Basemap tiles are off unless a tile URL is given. Render with
:func:`hotspots.assets.localized_html` (web app) or
:func:`hotspots.assets.standalone_html` (one file).
"""

from __future__ import annotations

import html
import json
from itertools import pairwise

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template
from folium.plugins import FastMarkerCluster, HeatMap
from matplotlib import colormaps
from matplotlib.colors import to_hex

from hotspots._validate import WEB_CRS, check_columns, to_analysis_crs
from hotspots.geocode import bng_to_lonlat
from hotspots.io import ATTRIBUTION
from hotspots.population import rate_per_1000
from hotspots.wards import ward_counts

HULL_CMAP = "viridis_r"
WARD_CMAP = "cividis_r"
#: Heat cells are this many metres across, doubled until there are at most MAX_HEAT_CELLS.
HEAT_CELL_M = 75.0
MAX_HEAT_CELLS = 4000
POINT_CALLBACK = """function (row) {
    return L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 4, weight: 1, color: "#222222", fillColor: "#ffffff", fillOpacity: 0.9});
}"""


# --------------------------------------------------------------------------- data for layers


def class_breaks(values: pd.Series | np.ndarray, *, n: int = 5) -> list[float]:
    """Upper bounds of up to ``n`` equal-width classes covering ``values``.

    Whole numbers stay whole; an empty or constant input gives one class.

    Examples
    --------
    >>> class_breaks([3, 10, 25, 40])
    [11.0, 18.0, 26.0, 33.0, 40.0]
    >>> class_breaks([7, 7]), class_breaks([])
    ([7.0], [0.0])
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return [0.0]
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return [hi]
    edges = np.linspace(lo, hi, n + 1)[1:]
    whole = bool(np.all(arr == np.round(arr)))
    edges = np.ceil(edges) if whole else np.round(edges, 1)
    edges[-1] = hi
    return [float(e) for e in dict.fromkeys(edges)]


def class_colours(n: int, cmap: str) -> list[str]:
    """``n`` hex colours from a matplotlib colour map, light to dark for the ``_r`` maps.

    Examples
    --------
    >>> class_colours(2, "viridis")
    ['#440154', '#fde725']
    """
    if n <= 1:
        return [to_hex(colormaps[cmap](0.6))]
    return [to_hex(colormaps[cmap](i / (n - 1))) for i in range(n)]


def colour_for(value: float, breaks: list[float], colours: list[str]) -> str:
    """The colour of the class that ``value`` falls in.

    Examples
    --------
    >>> colour_for(12, [10.0, 20.0], ["#aaaaaa", "#000000"])
    '#000000'
    """
    idx = int(np.searchsorted(breaks, value, side="left"))
    return colours[min(idx, len(colours) - 1)]


def class_labels(breaks: list[float]) -> list[str]:
    """Legend labels for :func:`class_breaks` bounds.

    Examples
    --------
    >>> class_labels([10.0, 20.0, 35.0])
    ['up to 10', '10 to 20', '20 to 35']
    """
    fmt = [f"{b:g}" for b in breaks]
    return [f"up to {fmt[0]}"] + [f"{a} to {b}" for a, b in pairwise(fmt)]


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
        [round(float(a), 5), round(float(o), 5), int(n)]
        for a, o, n in zip(lat, lon, counts["n"])
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
    small = gpd.GeoDataFrame(frame[columns].reset_index(drop=True), geometry=geom.values, crs=WEB_CRS)
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


class Legend(MacroElement):
    """A legend control (class ``hotspot-legend``) listing colour classes."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "hotspot-legend");
                div.innerHTML = {{ this.html | tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, sections: list[tuple[str, list[str], list[str]]], notes: list[str]):
        super().__init__()
        self._name = "Legend"
        parts = []
        for title, colours, labels in sections:
            rows = "".join(
                f'<div><i style="background:{c}"></i>{html.escape(label)}</div>'
                for c, label in zip(colours, labels)
            )
            parts.append(f"<h4>{html.escape(title)}</h4>{rows}")
        parts.extend(f"<p>{html.escape(n)}</p>" for n in notes)
        self.html = "".join(parts)


class Attribution(MacroElement):
    """Put the data licence in Leaflet's attribution control, with no link to leafletjs.com."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text = text


_CSS = """<style>
.hotspot-legend { background: rgba(255,255,255,0.92); padding: 6px 9px; font: 12px/1.4 sans-serif;
  border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,0.35); max-width: 230px; }
.hotspot-legend h4 { margin: 4px 0 2px; font-size: 12px; }
.hotspot-legend p { margin: 4px 0 0; color: #333; }
.hotspot-legend i { display: inline-block; width: 16px; height: 12px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #555; }
.ward-label div { font: bold 11px sans-serif; color: #222; text-align: center; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }
.leaflet-container { background: #f4f4f1; }
</style>"""


def _hull_layer(clusters: gpd.GeoDataFrame) -> tuple[folium.GeoJson | None, list, list]:
    if clusters.empty:
        return None, [], []
    # Classes from every hotspot of the period (attrs from hotspots.pipeline), so a hotspot has
    # the same colour in a focus-area or ward view as on the whole-borough map.
    breaks = class_breaks(clusters.attrs.get("all_incidents") or clusters["incidents"])
    colours = class_colours(len(breaks), HULL_CMAP)
    frame = clusters.copy()
    frame["_fill"] = [colour_for(v, breaks, colours) for v in frame["incidents"]]
    frame["share_pct"] = [f"{100 * s:.1f}%" for s in frame["share"]]
    frame["change_text"] = [change_text(row) for _, row in frame.iterrows()]
    fields = ["cluster_id", "incidents", "share_pct", "top_locations", "top_categories",
              "months", "ward", "area", "change_text"]  # fmt: skip
    aliases = ["Hotspot", "Incidents", "Share of selection", "Top locations", "Top categories",
               "Months", "Ward", "Focus area", "Change vs same season last year"]  # fmt: skip
    if "significant" in frame.columns:  # hotspots.significance: Monte Carlo p, FDR 5%
        frame["chance_text"] = [
            ("more than chance" if s else "could be chance") + f" (p = {p:.3g})"
            for s, p in zip(frame["significant"], frame["p_value"])
        ]
        fields, aliases = [*fields, "chance_text"], [*aliases, "Significance"]
    for col in fields:  # folium's popup writes values as HTML: escape the text here
        frame[col] = [html.escape(str(v)) if not pd.isna(v) else "" for v in frame[col]]
    data = _web_features(frame, [*fields, "_fill"])
    layer = folium.GeoJson(
        data,
        name="Hotspots (DBSCAN clusters)",
        style_function=lambda f: {
            "className": "hotspot-hull",
            "color": "#1a1a1a",
            "weight": 2,
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": 0.6,
        },
        highlight_function=lambda f: {"weight": 4},
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, labels=True),
        tooltip=folium.GeoJsonTooltip(fields=["cluster_id", "incidents"],
                                      aliases=["Hotspot", "Incidents"]),
    )
    return layer, colours, class_labels(breaks)


def _ward_layer(ward_stats: gpd.GeoDataFrame) -> tuple[folium.FeatureGroup, str, list, list]:
    use_rate = bool(ward_stats["rate_per_1000"].notna().any())
    value_col = "rate_per_1000" if use_rate else "incidents"
    title = "Wards: incidents per 1,000 residents" if use_rate else "Wards: incidents"
    breaks = class_breaks(ward_stats[value_col])
    colours = class_colours(len(breaks), WARD_CMAP)
    frame = ward_stats.copy()
    frame["_fill"] = [
        colour_for(v, breaks, colours) if not pd.isna(v) else "#ffffff" for v in frame[value_col]
    ]
    frame["ward_label"] = [html.escape(str(v)) for v in frame["ward_name"]]
    frame["rate_text"] = [f"{v:g}" if not pd.isna(v) else "" for v in frame["rate_per_1000"]]
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
            "color": "#444444",
            "weight": 1.5,
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": 0.35,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(group)
    return group, title, colours, class_labels(breaks)


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
        ).add_to(group)
    return group


def _area_layer(areas: gpd.GeoDataFrame) -> folium.GeoJson:
    frame = areas.copy()
    frame["label"] = [html.escape(f"{n} ({k})") for n, k in zip(frame["name"], frame["kind"])]
    return folium.GeoJson(
        _web_features(frame, ["label"]),
        name="Town and district centres",
        style_function=lambda f: {
            "className": "focus-area",
            "color": "#000000",
            "weight": 1.5,
            "dashArray": "6 4",
            "fill": False,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


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
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
    max_points: int = 2000,
    caption: str | None = None,
) -> folium.Map:
    """Build the hotspot map of one selection.

    Parameters
    ----------
    ward_stats : geopandas.GeoDataFrame
        From :func:`ward_summary` (outlines, counts, rates).
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.pipeline.hotspots_for`, optionally with the
        ``previous``/``change``/``trend`` columns of
        :func:`hotspots.evaluate.change_vs_previous`.
    incidents : geopandas.GeoDataFrame
        The selection's incidents (for the heat grid and the capped points).
    areas : geopandas.GeoDataFrame, optional
        Focus areas (``name``, ``kind``) to outline.
    focus : shapely geometry, optional
        EPSG:27700 shape the view fits (a ward or focus area); the wards when None.
    tiles_url, tiles_attribution : str, optional
        A basemap tile URL template and its attribution; no basemap when None.
    max_points : int, default 2000
        Cap on the incident markers.
    caption : str, optional
        A line for the legend, e.g. the selection.

    Returns
    -------
    folium.Map
        Render it with :mod:`hotspots.assets`.

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
    # maxZoom is needed by the marker clusters when there is no tile layer to give one.
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True, maxZoom=19)
    m.get_root().header.add_child(folium.Element(_CSS), name="hotspots_css")
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution or "Basemap", name="Basemap",
                         max_zoom=19).add_to(m)  # fmt: skip
    sections = []
    notes = []
    ward_group, ward_title, ward_colours, ward_labels = _ward_layer(ward_stats)
    ward_group.add_to(m)
    _ward_labels(ward_stats).add_to(m)
    if areas is not None and not areas.empty:
        _area_layer(areas).add_to(m)
    heat = heat_grid(incidents)
    if heat:
        HeatMap(heat, name="Heat (incident density)", show=False, radius=18, blur=15,
                min_opacity=0.3, max_zoom=16).add_to(m)  # fmt: skip
    points = sample_points(incidents, max_points=max_points)
    if points:
        shown = f"{len(points):,} of {len(incidents):,}" if len(points) < len(incidents) else f"{len(points):,}"
        # folium's FastMarkerCluster always adds itself to its parent, whatever ``show``
        # says: a hidden group around it keeps the points off until they are switched on.
        group = folium.FeatureGroup(name=f"Incident points ({shown})", show=False).add_to(m)
        FastMarkerCluster(points, callback=POINT_CALLBACK, control=False).add_to(group)
    hulls, hull_colours, hull_labels = _hull_layer(clusters)
    if hulls is not None:
        hulls.add_to(m)
        sections.append(("Hotspots: incidents", hull_colours, hull_labels))
    else:
        notes.append("No hotspot in this selection.")
    sections.append((ward_title, ward_colours, ward_labels))
    if caption:
        notes.insert(0, caption)
    notes.append("Heat and incident points: switch on in the layer list.")
    Legend(sections, notes).add_to(m)
    Attribution(ATTRIBUTION).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds(_bounds(focus, ward_stats))
    return m

