"""The web map's Leaflet elements: legend, attribution, basemap, roads, navigation."""

from __future__ import annotations

import html

from branca.element import MacroElement, Template

from hotspots.draw import cartography as carto
from hotspots.draw.basemap import EMPTY_PNG_B64

POINT_CALLBACK = """function (row) {
    return L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 4, weight: 1, color: "#222222", fillColor: "#ffffff", fillOpacity: 0.9});
}"""


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
        if entry.kind == "fill" and entry.opacity < 1:  # drawn as the map draws its fill
            rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
            swatch = f'<i style="background:rgba({rgb},{entry.opacity:g})"></i>'
        elif entry.kind == "fill":
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
                minZoom: {{ this.min_native }}, maxZoom: 19, maxNativeZoom: {{ this.max_native }},
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
                 roads: bool, min_native: int = 0):  # fmt: skip
        super().__init__()
        self._name = "Basemap"
        self.embedded = url if isinstance(url, dict) else None
        if self.embedded:
            max_native = max(int(k.split("/")[0]) for k in self.embedded)
            min_native = 0  # missing tiles are the empty one, asked of nobody
        # below the source's first zoom the layer is off (a local file answers 404 there)
        self.min_native = int(min_native)
        self.empty = EMPTY_TILE
        self.url = "" if self.embedded is not None else url
        self.attribution = attribution
        self.source = source
        self.max_native = int(max_native)
        self.roads_note = " and streets" if roads else ""


class Roads(MacroElement):
    """Street lines and names, drawn from :data:`hotspots.draw.cartography.ROAD_MIN_ZOOM` in."""

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
