"""Interactive hotspot maps (folium): data in, a :class:`folium.Map` out.

The map of one selection has, as layers an officer can switch on and off:

* **Hotspots**: cluster outlines (class ``hotspot-hull``) coloured by incident
  count on the colour-blind-safe classes of :mod:`hotspots.cartography`, with a
  popup each (incidents, share, top locations and categories, months, ward,
  change against the same season a year before), and a label "rank + main
  street" (``1 Unicorn Hill``) so the map reads with no basemap;
* **Heat**: incident density aggregated to a grid (one weighted point per
  cell, never one per incident, so the page stays small), viridis gradient;
* **Wards**: a choropleth of counts (or rate per 1,000 residents where
  population is known), always with outlines and name labels;
* **How places changed** (``patterns=``, off until switched on): the grid
  cells hot in any season up to the selected one, coloured by their pattern
  (:mod:`hotspots.patterns`; Okabe-Ito colours of :mod:`hotspots.cartography`,
  a legend row per class), with a tooltip naming the class and the seasons the
  place was hot; neighbouring cells with the same history are drawn as one shape;
* **Roads** (``roads=``): street lines and names from street zoom;
* **Incident points**: a fast clustered-marker layer, capped at ``max_points``
  (a fixed random sample beyond that);
* the focus areas (town and district centres, labelled), a legend (class
  ``hotspot-legend``), the data's and the basemap's attribution, a "Whole
  borough" button, zoom limited to the study area, and a message on the page
  when basemap tiles fail to load.

Basemap tiles come from a :class:`hotspots.basemap.Basemap` (none by default). Render with
:func:`hotspots.assets.localized_html` (web app) or
:func:`hotspots.assets.standalone_html` (one file).
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
from branca.element import MacroElement, Template
from folium.plugins import FastMarkerCluster, HeatMap

from hotspots import cartography as carto
from hotspots._validate import WEB_CRS, check_columns, to_analysis_crs
from hotspots.basemap import EMPTY_PNG_B64, Basemap
from hotspots.geocode import bng_to_lonlat
from hotspots.population import rate_per_1000
from hotspots.roads import clip_roads, name_points
from hotspots.wards import ward_counts

#: Heat cells are this many metres across, doubled until there are at most MAX_HEAT_CELLS.
HEAT_CELL_M = 75.0
MAX_HEAT_CELLS = 4000
POINT_CALLBACK = """function (row) {
    return L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 4, weight: 1, color: "#222222", fillColor: "#ffffff", fillOpacity: 0.9});
}"""


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
    """A legend control (class ``hotspot-legend``) built from cartography legend entries."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("details", "hotspot-legend");
                div.open = true;
                div.innerHTML = "<summary>Legend</summary>" + {{ this.html | tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
            // A section that belongs to a layer shows while that layer is on.
            var show = function (name, on) {
                legend.getContainer().querySelectorAll("[data-layer]").forEach(function (s) {
                    if (s.getAttribute("data-layer") === name) { s.hidden = !on; }
                });
            };
            {{ this._parent.get_name() }}.on("overlayadd", function (e) { show(e.name, true); });
            {{ this._parent.get_name() }}.on("overlayremove", function (e) { show(e.name, false); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, entries: list[carto.LegendEntry], notes: list[str]):
        super().__init__()
        self._name = "Legend"
        self.html = legend_html(entries, notes)


def legend_html(entries: list[carto.LegendEntry], notes: list[str]) -> str:
    """The legend's HTML: a heading per section, a swatch and label per entry.

    Examples
    --------
    >>> e = [carto.LegendEntry("Map", "Road", "line", ("#888888",))]
    >>> "<h4>Map</h4>" in legend_html(e, ["note"])
    True
    """
    parts, section, in_layer = [], None, False
    for entry in entries:
        if entry.section != section:
            section = entry.section
            if in_layer:
                parts.append("</div>")
            # A layer that starts off (place patterns) has its section shown only while it is on.
            in_layer = section.startswith(carto.PATTERN_LAYER)
            if in_layer:
                parts.append(f'<div data-layer="{html.escape(carto.PATTERN_LAYER)}" hidden>')
            parts.append(f"<h4>{html.escape(section)}</h4>")
        colour = entry.colours[0] if entry.colours else "transparent"
        if entry.kind == "fill":
            swatch = f'<i style="background:{colour}"></i>'
        elif entry.kind == "gradient":
            stops = ",".join(entry.colours)
            swatch = f'<i class="ramp" style="background:linear-gradient(to right,{stops})"></i>'
        elif entry.kind in ("line", "dashed"):
            style = "dashed" if entry.kind == "dashed" else "solid"
            swatch = f'<i class="line" style="border-top:2px {style} {colour}"></i>'
        elif entry.kind in ("outline", "outline-dashed"):  # the chance test's hotspot outlines
            look = carto.chance_style(entry.kind == "outline")
            border = "dashed" if "dashArray" in look else "solid"
            fill = entry.colours[1] if len(entry.colours) > 1 else "#ffffff"
            rgb = ",".join(str(int(fill[i : i + 2], 16)) for i in (1, 3, 5))
            swatch = (f'<i class="{entry.kind}" style="border:2px {border} {colour};'
                      f'background:rgba({rgb},{look["fillOpacity"]})"></i>')  # fmt: skip
        else:
            swatch = ""
        parts.append(f"<div>{swatch}{html.escape(entry.label)}</div>")
    if in_layer:
        parts.append("</div>")
    parts.extend(f"<p>{html.escape(n)}</p>" for n in notes)
    return "".join(parts)


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


class Basemap_(MacroElement):
    """The basemap tile layer, with a message on the page when its tiles fail to load."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var options = {
                attribution: {{ this.attribution | tojson }},
                minZoom: 0, maxZoom: 19, maxNativeZoom: {{ this.max_native }},
                className: "basemap-tiles"
            };
            var embedded = {{ this.embedded | tojson }};
            var tiles;
            if (embedded) {  // a one-file map: the tiles travel inside the page
                var Embedded = L.TileLayer.extend({
                    getTileUrl: function (c) {
                        return embedded[c.z + "/" + c.x + "/" + c.y] || {{ this.empty | tojson }};
                    }
                });
                tiles = new Embedded("", options).addTo(map);
            } else {
                tiles = L.tileLayer({{ this.url | tojson }}, options).addTo(map);
            }
            window.hotspotsBasemap = tiles;
            var loaded = 0, failed = 0;
            var box = L.DomUtil.create("div", "tiles-failed", map.getContainer());
            box.setAttribute("role", "status");
            box.style.display = "none";
            tiles.on("tileload", function () { loaded += 1; });
            tiles.on("tileerror", function () { failed += 1; });
            tiles.on("load", function () {
                if (failed > 0 && loaded === 0) {
                    box.textContent = "Basemap tiles could not be loaded from " +
                        {{ this.source | tojson }} + ". The hotspots, wards" +
                        {{ this.roads_note | tojson }} + " are still shown.";
                    box.style.display = "block";
                } else if (loaded > 0) {
                    box.style.display = "none";
                }
                loaded = 0; failed = 0;
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, url: str | dict, attribution: str, *, source: str, max_native: int,
                 roads: bool):  # fmt: skip
        super().__init__()
        self._name = "Basemap"
        self.embedded = url if isinstance(url, dict) else None
        if self.embedded:
            max_native = max(int(k.split("/")[0]) for k in self.embedded)
        self.empty = EMPTY_TILE
        self.url = "" if self.embedded is not None else url
        self.attribution = attribution
        self.source = source
        self.max_native = int(max_native)
        self.roads_note = " and streets" if roads else ""


class Roads(MacroElement):
    """Street lines and names, drawn from :data:`hotspots.cartography.ROAD_MIN_ZOOM` in."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            map.createPane("roads");
            map.getPane("roads").style.zIndex = 420;
            map.getPane("roads").style.pointerEvents = "none";
            var lines = L.geoJSON({{ this.lines | tojson }}, {
                pane: "roads", interactive: false,
                style: function (f) {
                    return {color: {{ this.colour | tojson }}, opacity: 0.95,
                            weight: f.properties.kind === "main" ? 4 : 2.5};
                }
            });
            var names = L.layerGroup([], {pane: "roads"});
            {{ this.names | tojson }}.forEach(function (n) {
                var icon = L.divIcon({className: "road-name", iconSize: [0, 0],
                    html: '<span style="transform: translate(-50%, -50%) rotate(' + (-n[3]) +
                          'deg)">' + n[2] + '</span>'});
                L.marker([n[0], n[1]], {icon: icon, interactive: false, keyboard: false,
                                        pane: "roads"}).addTo(names);
            });
            var group = L.layerGroup([lines, names]);
            function update() {
                var street = map.getZoom() >= {{ this.min_zoom }};
                if (street) { group.addTo(map); } else { map.removeLayer(group); }
                // Ward fills fade at street zoom, so streets and hotspot colours read true.
                L.DomUtil[street ? "addClass" : "removeClass"](map.getContainer(), "street-zoom");
            }
            map.on("zoomend", update);
            map.whenReady(update);
            window.hotspotsRoads = group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lines: dict, names: list, *, min_zoom: int = carto.ROAD_MIN_ZOOM):
        super().__init__()
        self._name = "Roads"
        self.lines = lines
        self.names = names
        self.colour = carto.ROAD_COLOUR
        self.min_zoom = int(min_zoom)


class Navigation(MacroElement):
    """A "Whole borough" button, zoom kept to the study area, popups that give the view back."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var home = L.latLngBounds({{ this.home | tojson }});
            var reset = L.control({position: "topleft"});
            reset.onAdd = function () {
                var a = L.DomUtil.create("a", "reset-view leaflet-bar");
                a.href = "#"; a.setAttribute("role", "button");
                a.title = {{ this.label | tojson }};
                a.textContent = {{ this.label | tojson }};
                L.DomEvent.disableClickPropagation(a);
                L.DomEvent.on(a, "click", function (e) {
                    L.DomEvent.preventDefault(e); L.DomEvent.stopPropagation(e);
                    map.closePopup(); map.fitBounds(home);
                });
                return a;
            };
            reset.addTo(map);
            // Leaflet focuses the map on mousedown (for the keyboard); when the map's frame is
            // partly off screen that scrolls the page between mousedown and click, so the click
            // lands elsewhere. Focus without scrolling.
            if (map.keyboard) {
                map.keyboard._onMouseDown = function () {
                    if (!this._focused) { this._map._container.focus({preventScroll: true}); }
                };
            }
            map.whenReady(function () {
                map.setMinZoom(Math.max(map.getBoundsZoom(home) - 1, 0));
                map.setMaxBounds(home.pad(0.6));
            });
            map.options.maxBoundsViscosity = 0.8;
            // A popup may pan the map to fit; closing it puts the view back.
            // (Leaflet pans before it fires popupopen; a drag by the user keeps its view.)
            var before = null, panned = false;
            map.on("autopanstart", function () { panned = true; });
            map.on("dragstart zoomstart", function () { if (!map._popup) { panned = false; } });
            map.on("drag", function () { panned = false; });
            map.on("mousedown touchstart", function () { before = map.getCenter(); });
            map.on("popupclose", function () {
                if (panned && before) { map.panTo(before); }
                panned = false;
            });
            // Hotspot labels that would overlap a higher-ranked one are lifted above it.
            function placeLabels() {
                var divs = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll(".hotspot-label div"));
                divs.sort(function (a, b) { return parseInt(a.textContent, 10) -
                                                   parseInt(b.textContent, 10); });
                function lift(d, px) {
                    d.style.transform = "translate(-50%, -100%) translateY(" + (-px) + "px)";
                }
                divs.forEach(function (d) { lift(d, 0); });
                var placed = [];
                function hits(r) {
                    return placed.some(function (p) {
                        return r.left < p.right && r.right > p.left &&
                               r.top < p.bottom && r.bottom > p.top;
                    });
                }
                divs.forEach(function (d) {
                    var r = d.getBoundingClientRect(), up = 0, tries = 0;
                    while (r.width && hits(r) && tries < 8) {
                        up += r.height + 2; tries += 1;
                        lift(d, up);
                        r = d.getBoundingClientRect();
                    }
                    placed.push(r);
                });
                window.hotspotsLabelsPlaced = (window.hotspotsLabelsPlaced || 0) + 1;
            }
            map.on("zoomend overlayadd", placeLabels);
            map.whenReady(function () { setTimeout(placeLabels, 0); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, home: list[list[float]], label: str = "Whole borough"):
        super().__init__()
        self._name = "Navigation"
        self.home = home
        self.label = label


_CSS = """<style>
.pattern-tip { width: 300px; white-space: normal; border-collapse: collapse; }
.pattern-tip th { text-align: left; vertical-align: top; padding-right: 8px; }
.hotspot-legend { background: rgba(255,255,255,0.94); padding: 6px 9px; font: 12px/1.4 sans-serif;
  border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,0.35); max-width: 250px;
  max-height: 60vh; overflow-y: auto; }
.hotspot-legend h4 { margin: 5px 0 2px; font-size: 12px; }
.hotspot-legend p { margin: 4px 0 0; color: #333; }
.hotspot-legend i { display: inline-block; width: 16px; height: 12px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #555; }
.hotspot-legend i.ramp { width: 46px; }
.hotspot-legend i.line { height: 0; border-left: 0; border-right: 0; border-bottom: 0;
  margin-bottom: 3px; }
.ward-label div { font: bold 11px sans-serif; color: #222; text-align: center; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }
.centre-label div { font: italic bold 12px sans-serif; color: #000; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }
.hotspot-label div { display: inline-block; font: bold 12px sans-serif; color: #111;
  background: rgba(255,255,255,0.92); border: 1px solid #333; border-radius: 3px;
  padding: 0 4px; white-space: nowrap; pointer-events: none; transform: translate(-50%, -100%); }
.hotspot-label-chance div { border-style: dashed; font-weight: normal; }
.road-name span { position: absolute; font: italic 12px sans-serif; color: #2b2b2b;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.leaflet-popup-content { min-width: 260px; max-width: 380px; font: 13px/1.4 sans-serif; }
.leaflet-popup-content table { width: 100%; }
.leaflet-popup-content th { text-align: left; padding-right: 6px; vertical-align: top; }
.reset-view { background: #fff; padding: 4px 8px; font: bold 12px sans-serif; color: #222;
  text-decoration: none; display: block; }
.tiles-failed { position: absolute; z-index: 1000; top: 10px; left: 50%;
  transform: translateX(-50%); background: #fff3cd; color: #4d3800; border: 1px solid #b38f00;
  padding: 6px 10px; font: 13px sans-serif; border-radius: 4px; max-width: 70%; }
.hotspot-legend summary { font-weight: bold; cursor: pointer; }
.street-zoom path.ward-area { fill-opacity: 0.12; }
.leaflet-container { background: #f4f4f1; }
</style>"""
#: A transparent 1x1 PNG for tiles a one-file map does not hold.
EMPTY_TILE = f"data:image/png;base64,{EMPTY_PNG_B64}"


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
    fields = ["cluster_id", "incidents", "share_pct", "top_locations", "top_categories",
              "months", "ward", "area", "change_text"]  # fmt: skip
    aliases = ["Hotspot", "Incidents", "Share of selection", "Top locations", "Top categories",
               "Months", "Ward", "Focus area", "Change vs same season last year"]  # fmt: skip
    extra = ["_fill"]
    if "significant" in frame.columns:  # hotspots.significance: Monte Carlo p, BH FDR
        from hotspots.significance import chance_text

        sims, alpha = clusters.attrs.get("simulations", 999), clusters.attrs.get("alpha", 0.05)
        frame["chance_text"] = [
            chance_text(p, q, bool(s), simulations=sims, alpha=alpha) if not pd.isna(p) else ""
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
        tooltip=folium.GeoJsonTooltip(fields=["cluster_id", "incidents"],
                                      aliases=["Hotspot", "Incidents"]),
    )
    return layer, classes


def _hotspot_labels(clusters: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """"1 Unicorn Hill" above each hotspot (the top of its outline)."""
    group = folium.FeatureGroup(name="Hotspot labels (rank and main street)", show=True)
    hulls = to_analysis_crs(clusters)
    b = hulls.geometry.bounds
    tops = gpd.GeoSeries.from_xy((b["minx"] + b["maxx"]) / 2, b["maxy"], crs=hulls.crs)
    lat, lon = _lat_lon(tops)
    # A hotspot that is not more than chance gets a dashed label box, as its dashed outline.
    chance = (~hulls["significant"].fillna(True).astype(bool)).tolist() if "significant" in hulls else [False] * len(hulls)
    for y, x, text, weak in zip(lat, lon, carto.hotspot_labels(hulls), chance):
        folium.Marker(
            [float(y), float(x)],
            icon=folium.DivIcon(html=f"<div>{html.escape(text)}</div>", icon_size=(0, 0),
                                icon_anchor=(0, 0),
                                class_name="hotspot-label" + (" hotspot-label-chance" if weak else "")),
            interactive=False,
        ).add_to(group)  # fmt: skip
    return group


def pattern_features(patterns: gpd.GeoDataFrame) -> dict:
    """The pattern cells as small GeoJSON (EPSG:4326): one shape per class and history.

    Cells with the same pattern and the same periods hot are dissolved into one
    (multi)polygon, so the page carries each history once. Properties:
    ``pattern``, ``hot_count`` ("7 of 8 seasons"), ``hot_in`` (the periods),
    ``places`` (cells) and ``_fill`` (:data:`hotspots.cartography.PATTERN_COLOURS`).

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


class LazyPatterns(MacroElement):
    """Fill the (empty) pattern layer from ``url`` the first time it is switched on.

    The web app's way: a map costs nothing for the layer until someone asks for
    it. The squares are styled and given tooltips as :func:`_pattern_layer` does;
    if the request fails, the layer says so in a tooltip-free note on the map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var group = {{ this._parent.get_name() }}, map = {{ this.map_name }}, asked = false;
            var esc = function (v) { var d = document.createElement("div");
                d.textContent = v == null ? "" : String(v); return d.innerHTML; };
            map.on("overlayadd", function (e) {
                if (e.layer !== group || asked) { return; }
                asked = true;
                fetch({{ this.url | tojson }}, {credentials: "same-origin"})
                    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
                    .then(function (doc) {
                        L.geoJSON(doc, {
                            style: function (f) { return {className: "pattern-cell",
                                color: {{ this.outline | tojson }}, weight: 0.6,
                                fillColor: f.properties._fill, fillOpacity: {{ this.opacity }}}; },
                            onEachFeature: function (f, layer) {
                                var p = f.properties;  // pattern and hot_in arrive escaped
                                layer.bindTooltip("<table class='pattern-tip'><tr><th>Pattern</th><td>"
                                    + p.pattern + "</td></tr><tr><th>Hot</th><td>" + esc(p.hot_count)
                                    + "</td></tr><tr><th>When hot</th><td>" + p.hot_in
                                    + "</td></tr></table>", {sticky: true});
                                layer.on("mouseover", function () { layer.setStyle({weight: 2}); });
                                layer.on("mouseout", function () { layer.setStyle({weight: 0.6}); });
                            }
                        }).addTo(group);
                    })
                    .catch(function (err) {
                        asked = false;
                        L.popup().setLatLng(map.getCenter()).setContent(
                            "How places changed could not be loaded (" + esc(err.message)
                            + "); try again.").openOn(map);
                    });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, url: str, map_name: str):
        super().__init__()
        self._name = "LazyPatterns"
        self.url = url
        self.map_name = map_name
        self.outline = carto.PATTERN_OUTLINE
        self.opacity = carto.PATTERN_WEB_OPACITY


def _ward_layer(ward_stats: gpd.GeoDataFrame) -> tuple[folium.FeatureGroup, str, carto.Classes]:
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
        ).add_to(group)
    return group


def _area_layer(areas: gpd.GeoDataFrame) -> folium.FeatureGroup:
    frame = areas.copy()
    kinds = frame["kind"] if "kind" in frame else [None] * len(frame)
    frame["label"] = [html.escape(carto.centre_label(str(n), k)) for n, k in zip(frame["name"], kinds)]
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
    >>> from hotspots.roads import read_roads
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
        From :func:`hotspots.pipeline.hotspots_for`, optionally with the
        ``previous``/``change``/``trend`` columns of
        :func:`hotspots.evaluate.change_vs_previous`.
    incidents : geopandas.GeoDataFrame
        The selection's incidents (for the heat grid and the capped points).
    areas : geopandas.GeoDataFrame, optional
        Focus areas (``name``, ``kind``) to outline and label.
    focus : shapely geometry, optional
        EPSG:27700 shape the view fits (a ward or focus area); the wards when None.
    basemap : hotspots.basemap.Basemap, optional
        Tiles under the map (none by default).
    tile_url : str or dict, optional
        Where the browser gets a local file's tiles: the web app's
        ``/tiles/{z}/{x}/{y}.png`` route, or the tiles themselves
        (``{"z/x/y": data URI}``, :func:`hotspots.basemap.embedded_tiles`) for
        a one-file map.
    roads : geopandas.GeoDataFrame, optional
        Streets (:func:`hotspots.roads.read_roads`), drawn with their names
        from street zoom.
    tiles_url, tiles_attribution : str, optional
        A tile URL template and its attribution (the older way to give a basemap).
    max_points : int, default 2000
        Cap on the incident markers.
    caption : str, optional
        A line for the legend, e.g. the selection.
    patterns : geopandas.GeoDataFrame, optional
        :func:`hotspots.patterns.place_patterns` up to the selection: the "How
        places changed" layer (off until switched on) and its legend rows.
    patterns_url, pattern_periods : str and list of str, optional
        Instead of ``patterns``: the layer is listed empty and filled from
        ``patterns_url`` (GeoJSON of :func:`pattern_features`) the first time
        it is switched on; ``pattern_periods`` label its legend (two or more).

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
    if basemap is None and tiles_url:
        basemap = Basemap("url", tiles_url, tiles_url, None, tiles_attribution or "Basemap")
    # maxZoom is needed by the marker clusters when there is no tile layer to give one.
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True, maxZoom=19)
    m.get_root().header.add_child(folium.Element(_CSS), name="hotspots_css")
    has_roads = roads is not None and len(roads) > 0
    if basemap is not None and basemap.enabled:
        url = tile_url or basemap.web_url()
        if url:
            where = Path(basemap.source).name if basemap.is_local else urlsplit(str(url)).netloc
            Basemap_(url, basemap.attribution, source=where, max_native=basemap.max_zoom,
                     roads=has_roads).add_to(m)  # fmt: skip
    notes = []
    ward_group, ward_title, ward_cls = _ward_layer(ward_stats)
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
        shown = f"{len(points):,} of {len(incidents):,}" if len(points) < len(incidents) else f"{len(points):,}"
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
                                   heat=bool(heat), centres=centres, roads=has_roads,
                                   chance=clusters.attrs.get("simulations", 999) if tested else None)  # fmt: skip
    after = max((i + 1 for i, e in enumerate(entries)
                 if e.section == "Hotspots: incidents" or e.section.startswith("Chance test")),
                default=0)  # the pattern classes right under the hotspot classes  # fmt: skip
    entries[after:after] = pattern_rows
    if caption:
        notes.insert(0, caption)
    notes.append("Heat, incident points" + (" and how places changed" if pattern_rows else "")
                 + ": switch on in the layer list.")
    Legend(entries, notes).add_to(m)
    Attribution(carto.attribution()).add_to(m)
    Navigation(home).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds(_bounds(focus, ward_stats))
    return m
