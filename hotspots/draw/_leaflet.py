"""The web map's Leaflet elements: legend, attribution, basemap, roads, navigation, layout."""

from __future__ import annotations

import html

from branca.element import MacroElement, Template

from hotspots.draw import cartography as carto
from hotspots.draw.basemap import EMPTY_PNG_B64
from hotspots.read.roads import NAME_ONLY

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
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("details", "hotspot-legend");
                div.open = true;  // MapLayout closes it on a narrow map
                // The body scrolls when the map is short: focusable, so a keyboard scrolls it too.
                div.innerHTML = "<summary>Legend</summary><div class='legend-body' tabindex='0'>"
                    + {{ this.html | tojson }} + "</div>";
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
                // A "name only" line places a street's name and is not drawn.
                filter: function (f) { return f.properties.kind !== {{ this.name_only | tojson }}; },
                style: function (f) {
                    return {color: {{ this.colour | tojson }}, opacity: 0.95,
                            weight: f.properties.kind === "main" ? 4 : 2.5};
                }
            });
            var names = L.layerGroup([], {pane: "roads"}), markers = [];
            {{ this.names | tojson }}.forEach(function (n) {
                var icon = L.divIcon({className: "road-name", iconSize: [0, 0],
                    html: '<span style="transform: translate(-50%, -50%) rotate(' + (-n[3]) +
                          'deg)">' + n[2] + '</span>'});
                markers.push(L.marker([n[0], n[1]], {icon: icon, interactive: false,
                                                     keyboard: false, pane: "roads"}).addTo(names));
            });
            // Names that would touch: the one given first (main roads, longer streets) is kept,
            // and none under a box of `avoid` (centre and ward names, placed hotspot labels).
            // All read, then all written: one layout, however many names.
            window.hotspotsThinRoadNames = function (avoid) {
                var els = markers.map(function (m) { return m.getElement(); })
                    .filter(function (el) { return el && el.firstChild; });
                els.forEach(function (el) { el.style.display = ""; });
                var kept = (avoid || []).slice(), hide = [];
                els.map(function (el) { return el.firstChild.getBoundingClientRect(); })
                    .forEach(function (r, i) {
                        if (!r.width) { return; }
                        var clash = kept.some(function (p) {
                            return r.left < p.right + 2 && r.right > p.left - 2 &&
                                   r.top < p.bottom + 2 && r.bottom > p.top - 2;
                        });
                        if (clash) { hide.push(els[i]); } else { kept.push(r); }
                    });
                hide.forEach(function (el) { el.style.display = "none"; });
            };
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
        self.name_only = NAME_ONLY


#: A hotspot label on the web map keeps its street when it fits within this many pixels of its
#: hotspot (the first hotspot's always does); else it shows its rank alone.
LABEL_REACH_PX = 48


class Navigation(MacroElement):
    """A "Whole borough" button, zoom kept to the study area, popups that give the view back."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var home = L.latLngBounds({{ this.home | tojson }}), limits = home.pad(0.6);
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
                map.setMaxBounds(limits);
            });
            map.options.maxBoundsViscosity = 0.8;
            // A popup may pan the map to fit; closing it puts the view back.
            // (Leaflet pans before it fires popupopen; a drag by the user keeps its view.)
            var before = null, panned = false;
            // A popup near the edge may pan past the limits (they come back when it closes).
            map.on("autopanstart", function () { panned = true; map.setMaxBounds(null); });
            map.on("dragstart zoomstart", function () { if (!map._popup) { panned = false; } });
            map.on("drag", function () { panned = false; });
            map.on("mousedown touchstart", function () { before = map.getCenter(); });
            map.on("popupclose", function () {
                if (panned && before) {
                    map.once("moveend", function () { map.setMaxBounds(limits); });
                    map.panTo(before);
                } else {
                    map.setMaxBounds(limits);
                }
                panned = false;
            });
            // Hotspot labels, best rank first: each as near its hotspot as it fits, over no other
            // label, centre name or control and inside the frame (ward and street names are avoided
            // where possible); one moved off its place gets a leader line to it; where the name fits
            // nowhere, the rank alone; where that fits nowhere either, no label.
            function placeLabels() {
                var frame = map.getContainer().getBoundingClientRect();
                var icons = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll(".hotspot-label"));
                var items = icons.map(function (icon) {
                    var d = icon.querySelector("div");
                    if (!d.hasAttribute("data-full")) { d.setAttribute("data-full", d.textContent); }
                    var lead = icon.querySelector(".leader");
                    if (!lead) { lead = document.createElement("i"); lead.className = "leader";
                                 icon.insertBefore(lead, d); }
                    return {icon: icon, div: d, lead: lead,
                            rank: parseInt(d.getAttribute("data-full"), 10)};
                });
                items.sort(function (a, b) { return a.rank - b.rank; });
                // A ward or centre name's own box: its div is 160 px wide, the name centred in it.
                function textBox(d) {
                    var range = document.createRange();
                    range.selectNodeContents(d);
                    return range.getBoundingClientRect();
                }
                function box(e) {
                    return e.matches(".ward-label div, .centre-label div") ? textBox(e)
                        : e.getBoundingClientRect();
                }
                function boxes(selector) {
                    return Array.prototype.map.call(map.getContainer().querySelectorAll(selector), box)
                        .filter(function (r) { return r.width > 0 && r.height > 0; });
                }
                // Ward names apart: one that would touch a centre name, a control, a ward name
                // shown before it or the frame's edge is left out at this view (the ward's
                // tooltip and the ward table still name it).
                // Centre names apart too: one that would overlap a centre name shown before it
                // (the town centre comes first) or touch a control is left out at this view (its
                // outline's tooltip still names it).
                var controls = boxes(".leaflet-control"), centres = [];
                map.getContainer().querySelectorAll(".centre-label div").forEach(function (d) {
                    d.style.display = "";
                    var r = textBox(d);
                    if (!r.width) { return; }
                    if (hits(r, centres, 0) || hits(r, controls)) { d.style.display = "none"; }
                    else { centres.push(r); }
                });
                var taken = centres.concat(controls);
                map.getContainer().querySelectorAll(".ward-label div").forEach(function (d) {
                    d.style.display = "";
                    var r = textBox(d);
                    if (!r.width) { return; }
                    if (hits(r, taken) || !inside(r)) { d.style.display = "none"; }
                    else { taken.push(r); }
                });
                var names = boxes(".centre-label div").concat(boxes(".ward-label div"));
                var thin = window.hotspotsThinRoadNames || function () {};
                thin(names);  // street names apart first: the labels avoid those shown
                var hard = boxes(".centre-label div").concat(boxes(".leaflet-control"));
                var soft = boxes(".ward-label div").concat(boxes(".road-name span")), placed = [];
                function hits(r, list, gap) {
                    var g = gap === undefined ? 2 : gap;  // 2 px apart when placed
                    return list.some(function (p) {
                        return r.left < p.right + g && r.right > p.left - g &&
                               r.top < p.bottom + g && r.bottom > p.top - g;
                    });
                }
                function inside(r) {
                    return r.left >= frame.left + 2 && r.right <= frame.right - 2 &&
                           r.top >= frame.top + 2 && r.bottom <= frame.bottom - 2;
                }
                function move(d, dx, dy) {
                    d.style.transform = "translate(-50%, -100%) translate(" + dx + "px, " + dy + "px)";
                }
                // Offsets in label widths and heights, nearest first; below the anchor (the
                // top of the outline) covers the hotspot, so it comes later.
                var steps = [];
                [-1, -0.5, 0, 0.5, 1].forEach(function (i) {
                    for (var j = -5; j <= 5; j++) { steps.push([i, j]); }
                });
                steps.sort(function (a, b) {
                    var ca = Math.hypot(a[0] * 2, a[1]) + (a[1] > 0 ? 1.5 : 0);
                    var cb = Math.hypot(b[0] * 2, b[1]) + (b[1] > 0 ? 1.5 : 0);
                    return ca - cb;
                });
                function away(a, r) {  // from the anchor to the nearest point of a box
                    return Math.hypot(Math.min(Math.max(a.left, r.left), r.right) - a.left,
                                      Math.min(Math.max(a.top, r.top), r.bottom) - a.top);
                }
                function fit(d, reach) {
                    move(d, 0, 0);
                    var r0 = d.getBoundingClientRect();
                    if (!r0.width) { return null; }
                    var a = d.parentNode.getBoundingClientRect();
                    var w = r0.width + 4, h = r0.height + 2;
                    for (var pass = 0; pass < 2; pass++) {
                        for (var k = 0; k < steps.length; k++) {
                            var dx = steps[k][0] * w, dy = steps[k][1] * h;
                            var r = {left: r0.left + dx, right: r0.right + dx,
                                     top: r0.top + dy, bottom: r0.bottom + dy};
                            if (reach !== undefined && away(a, r) > reach) { continue; }
                            if (inside(r) && !hits(r, placed) && !hits(r, hard) &&
                                (pass === 1 || !hits(r, soft))) {
                                move(d, dx, dy);
                                return r;
                            }
                        }
                    }
                    return null;
                }
                items.forEach(function (it) {
                    var d = it.div;
                    it.icon.style.display = "";
                    d.textContent = d.getAttribute("data-full");
                    // A street is named only where it fits by its hotspot (the first hotspot
                    // always is); else the rank alone, which the popup and the table name.
                    var r = fit(d, it.rank === 1 ? undefined : {{ this.reach_px }});
                    if (!r) { d.textContent = String(it.rank); r = fit(d); }
                    if (!r) { it.icon.style.display = "none"; return; }
                    placed.push(r);
                    var a = it.icon.getBoundingClientRect();  // the anchor (a 0 x 0 icon)
                    var px = Math.min(Math.max(a.left, r.left), r.right) - a.left;
                    var py = Math.min(Math.max(a.top, r.top), r.bottom) - a.top;
                    var far = Math.hypot(px, py);
                    it.lead.style.display = far > 4 ? "block" : "none";
                    it.lead.style.width = far + "px";
                    it.lead.style.transform = "rotate(" + Math.atan2(py, px) + "rad)";
                });
                // A ward name under a hotspot label (put there when it fitted nowhere else) is
                // left out: the label says where the hotspot is, the ward's tooltip its name.
                map.getContainer().querySelectorAll(".ward-label div").forEach(function (d) {
                    var r = textBox(d);
                    if (r.width && hits(r, placed, 0)) { d.style.display = "none"; }
                });
                thin(names.concat(placed));  // and no street name under a hotspot label
                window.hotspotsLabelsPlaced = (window.hotspotsLabelsPlaced || 0) + 1;
                // Placed while the view still moved (an animation ending)? Look once drawn, and
                // place them again if two touch.
                requestAnimationFrame(function () {
                    var now = items.filter(function (it) { return it.icon.style.display !== "none"; })
                        .map(function (it) { return it.div.getBoundingClientRect(); });
                    var clash = now.some(function (r, i) { return hits(r, now.slice(i + 1), -0.5); });
                    retries = clash ? retries + 1 : 0;
                    if (clash && retries < 4) { setTimeout(later, 100); }
                });
            }
            var retries = 0;
            // Placed once Leaflet has drawn the new view (the frame after the event).
            var pending = null;
            function later() {
                if (pending) { cancelAnimationFrame(pending); }
                pending = requestAnimationFrame(function () { pending = null; placeLabels(); });
            }
            map.on("zoomend moveend overlayadd overlayremove resize", later);
            map.whenReady(later);
            window.addEventListener("load", later);  // the fonts are in: the final sizes
            window.hotspotsPlaceLabels = placeLabels;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, home: list[list[float]], label: str = "Whole borough"):
        super().__init__()
        self._name = "Navigation"
        self.home = home
        self.label = label
        self.reach_px = LABEL_REACH_PX


class MapLayout(MacroElement):
    """Keep the map's controls apart at any size; on a narrow map start with them collapsed.

    Legend (bottom left, above the scale), layer list (top right), zoom and "Whole borough"
    (top left), attribution (bottom right) never overlap: the legend's body scrolls in the
    height left between the top-left buttons and the scale, and the layer list scrolls as
    Leaflet sizes it. On a map narrower than ``narrow_px`` (a phone) the legend and the layer
    list start closed and one tap opens each; only one of them (or the full attribution) is
    open at a time, and a tap on the map closes them. The attribution is one line there,
    with a button that shows all of it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }}, layers = {{ this.control }};
            var box = map.getContainer(), GAP = 10;
            var legend = box.querySelector(".hotspot-legend");
            var body = legend && legend.querySelector(".legend-body");
            var credits = map.attributionControl;
            function narrow() { return map.getSize().x < {{ this.narrow_px }}; }
            // The attribution: one line on a narrow map, all of it after a tap on its button.
            var more = L.DomUtil.create("button", "attribution-toggle");
            more.type = "button"; more.textContent = "i";
            L.DomEvent.disableClickPropagation(more);
            function showCredits(open) {
                var c = credits.getContainer();
                L.DomUtil[open ? "addClass" : "removeClass"](c, "attribution-open");
                more.setAttribute("aria-expanded", String(open));
                more.setAttribute("aria-label", open ? "Attribution on one line"
                                                     : "Show the whole attribution");
                if (open && narrow()) { closeLegend(); layers.collapse(); }
            }
            L.DomEvent.on(more, "click", function (e) {
                L.DomEvent.stop(e);
                showCredits(!L.DomUtil.hasClass(credits.getContainer(), "attribution-open"));
            });
            var rewrite = credits._update;  // Leaflet rewrites the control's HTML on each change
            credits._update = function () {
                rewrite.apply(this, arguments);
                if (this._container) { this._container.insertBefore(more, this._container.firstChild); }
            };
            credits._update();
            showCredits(false);
            function closeLegend() { if (legend) { legend.open = false; } }
            // The layer list: narrower than the map less the top-left buttons; one panel at a time.
            var expand = layers.expand;
            layers.expand = function () {
                if (narrow()) { closeLegend(); showCredits(false); }
                fit();
                return expand.apply(this, arguments);
            };
            if (legend) {
                legend.addEventListener("toggle", function () {
                    if (legend.open && narrow()) { layers.collapse(); showCredits(false); }
                    fit();
                });
            }
            map.on("click", function () {
                if (narrow()) { layers.collapse(); closeLegend(); showCredits(false); }
            });
            function fit() {
                var small = narrow(), size = map.getSize(), r = box.getBoundingClientRect();
                L.DomUtil[small ? "addClass" : "removeClass"](box, "narrow-map");
                var topLeft = box.querySelector(".leaflet-top.leaflet-left").getBoundingClientRect();
                var scale = box.querySelector(".leaflet-control-scale");
                var floor = scale ? scale.getBoundingClientRect().top : r.bottom;
                var lc = layers.getContainer();
                lc.style.maxWidth = Math.max(size.x - (topLeft.right - r.left) - 2 * GAP, 120) + "px";
                var c = credits.getContainer();
                // the scale grows up to its maxWidth (100 px) as the map zooms: leave it that;
                // a long line (streets' and basemap's credits too) wraps beside it, never over it
                var left = scale ? scale.getBoundingClientRect().left - r.left + 106 : 0;
                c.style.maxWidth = Math.max(size.x - left - GAP - 10, 120) + "px";
                var pad = L.Popup.prototype.options;
                pad.autoPanPaddingTopLeft = L.point(GAP, topLeft.bottom - r.top + 4);
                // on a narrow map a popup is about as wide as the map: keep it above the
                // bottom-left stack (the legend's line and the scale) too
                var bottom = c.getBoundingClientRect().height;
                if (small && legend) { bottom = Math.max(bottom, r.bottom - legend.getBoundingClientRect().top); }
                pad.autoPanPaddingBottomRight = L.point(GAP, bottom + 4);
                if (legend && body) {
                    legend.style.maxWidth = Math.min(size.x - 2 * GAP, 270) + "px";
                    var summary = legend.querySelector("summary").getBoundingClientRect();
                    // from under the top-left buttons to above the scale, less the summary line
                    var room = (floor - GAP) - (topLeft.bottom + GAP) - summary.height - 14;
                    body.style.maxHeight = Math.max(room, 60) + "px";
                }
            }
            map.whenReady(function () {
                fit();
                if (narrow()) { layers.collapse(); closeLegend(); }
            });
            // The Tab key meets the controls before the map's shapes (the order is the DOM's).
            box.insertBefore(map._controlContainer, box.firstChild);
            // A popup opens clear of the top-left buttons and the attribution, over the other
            // controls; the tooltip of what was tapped goes (the popup says more).
            map.on("popupclose", function () { L.DomUtil.removeClass(box, "popup-open"); });
            map.on("popupopen", function (e) {
                L.DomUtil.addClass(box, "popup-open");  // no tooltip over it: it says more
                // An open legend or layer list over the popup folds away (one tap brings it back).
                setTimeout(function () {
                    var el = e.popup.getElement();
                    if (!el || !map.hasLayer(e.popup)) { return; }
                    var p = el.getBoundingClientRect();
                    function over(node) {
                        var q = node.getBoundingClientRect();
                        return p.left < q.right && p.right > q.left && p.top < q.bottom && p.bottom > q.top;
                    }
                    if (legend && legend.open && over(legend)) { closeLegend(); }
                    if (over(layers.getContainer())) { layers.collapse(); }
                }, 350);  // after the pan that brings the popup into view
            });
            map.on("resize", fit);
            window.addEventListener("load", fit);  // the fonts are in: the final sizes
            window.hotspotsLayout = fit;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, control: MacroElement, *, narrow_px: int = 600):
        super().__init__()
        self._name = "MapLayout"
        self.control = control.get_name()
        self.narrow_px = int(narrow_px)


_CSS = """<style>
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
.pattern-tip { width: 300px; white-space: normal; border-collapse: collapse; }
.pattern-tip th { text-align: left; vertical-align: top; padding-right: 8px; }
.hotspot-legend { background: rgba(255,255,255,0.94); padding: 6px 9px; font: 12px/1.4 sans-serif;
  border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,0.35); max-width: 270px; }
.hotspot-legend .legend-body { overflow-y: auto; padding-right: 2px; }
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
.hotspot-label .leader { position: absolute; left: 0; top: 0; height: 0; display: none;
  border-top: 1.5px solid #222; transform-origin: 0 0; pointer-events: none; }
.road-name span { position: absolute; font: italic 12px sans-serif; color: #2b2b2b;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.leaflet-container .leaflet-popup-content { min-width: 220px; max-width: min(380px, calc(100vw - 80px));
  max-height: calc(100vh - 200px); overflow-y: auto; font: 13px/1.4 sans-serif; }
.leaflet-popup-content table { width: 100%; }
.leaflet-popup-content th { text-align: left; padding-right: 6px; vertical-align: top; }
.reset-view { background: #fff; padding: 4px 8px; font: bold 12px sans-serif; color: #222;
  text-decoration: none; display: block; }
.tiles-failed { position: absolute; z-index: 1000; top: 10px; left: 50%;
  transform: translateX(-50%); background: #fff3cd; color: #4d3800; border: 1px solid #b38f00;
  padding: 6px 10px; font: 13px sans-serif; border-radius: 4px; max-width: 70%; }
.hotspot-legend summary { font-weight: bold; cursor: pointer; }
.leaflet-control-layers, .hotspot-legend { box-sizing: border-box; }
.leaflet-control-layers label { white-space: normal; }
.attribution-toggle { display: none; }
.narrow-map .leaflet-control-attribution { white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.narrow-map .leaflet-control-attribution.attribution-open { white-space: normal; }
.narrow-map .attribution-toggle { display: inline-block; width: 18px; height: 18px; padding: 0;
  margin-right: 4px; border: 1px solid #555; border-radius: 50%; background: #fff; color: #222;
  font: bold 11px/16px serif; cursor: pointer; vertical-align: middle; }
.narrow-map .hotspot-legend summary { padding: 4px 2px; }
.narrow-map .leaflet-control-layers-expanded { font-size: 13px; }
.narrow-map .leaflet-popup-content { max-height: calc(100vh - 290px); }
.popup-open .leaflet-tooltip-pane { display: none; }
.street-zoom path.ward-area { fill-opacity: 0.12; }
.leaflet-container { background: #f4f4f1; }
</style>"""


#: A transparent 1x1 PNG for tiles a one-file map does not hold.
EMPTY_TILE = f"data:image/png;base64,{EMPTY_PNG_B64}"


class LazyPatterns(MacroElement):
    """Fill the (empty) pattern layer from ``url`` the first time it is switched on.

    The web app's way: a map costs nothing for the layer until someone asks for
    it. The squares are styled and given tooltips as :func:`_pattern_layer` does;
    an answer still being worked out (202, an analyst's own settings in a worker
    process) is asked for again after its ``retry_after`` seconds; if the request
    fails, the layer says so in a tooltip-free note on the map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var group = {{ this._parent.get_name() }}, map = {{ this.map_name }}, asked = false;
            var esc = function (v) { var d = document.createElement("div");
                d.textContent = v == null ? "" : String(v); return d.innerHTML; };
            var ask = function () {
                fetch({{ this.url | tojson }}, {credentials: "same-origin"})
                    .then(function (r) {
                        if (r.status === 202) {  // being worked out: asked again when it says
                            return r.json().then(function (doc) {
                                setTimeout(ask, 1000 * ((doc && doc.retry_after) || 2));
                                return null;
                            });
                        }
                        if (!r.ok) { throw new Error(r.status); }
                        return r.json();
                    })
                    .then(function (doc) {
                        if (doc === null) { return; }
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
            };
            map.on("overlayadd", function (e) {
                if (e.layer !== group || asked) { return; }
                asked = true;
                ask();
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
