"""The map as an officer uses it: streets, labels, basemaps, legend and navigation (chromium).

Screenshots kept in ``tests/artifacts/``: ``map-borough``, ``map-town-centre``,
``map-ward-abbey``, ``map-mbtiles``, ``map-osm-offline``.
"""

from __future__ import annotations

import io
import time
from urllib.parse import quote

import pytest
from PIL import Image

from hotspots.draw import cartography as carto
from tests._tiles import EDGE_RGB, TILE_RGB, make_mbtiles, make_pmtiles
from tests.browser.test_pages import assert_all_loaded, assert_offline, map_frame

pytestmark = pytest.mark.browser

PERIOD = "fy=2018-19&season=autumn"
BOROUGH = f"/map?{PERIOD}&area=borough"
TOWN = f"/map?{PERIOD}&area={quote('Town centre')}"
ABBEY = f"/map?{PERIOD}&area={quote('ward:Abbey')}"
TALL = {"width": 1280, "height": 1300}
MAP_JS = "Object.values(window).find(v => v && v instanceof L.Map)"


def leaflet(frame, expression: str):
    """Evaluate ``expression`` with ``map`` bound to the frame's Leaflet map."""
    return frame.evaluate(f"(() => {{ const map = {MAP_JS}; return {expression}; }})()")


def wait_until(frame, expression: str, *, timeout_s: float = 10.0) -> None:
    """Poll a JavaScript expression (``map`` bound) until it is true.

    Playwright's ``wait_for_function`` evaluates a string, which the app's
    Content-Security-Policy (no 'unsafe-eval') refuses; ``evaluate`` is fine.
    """
    deadline = time.monotonic() + timeout_s
    while not leaflet(frame, expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        frame.page.wait_for_timeout(50)


def largest_hull_centre(frame) -> tuple[float, float]:
    """A point (frame viewport pixels) inside the largest hotspot, under no label or street name.

    The point nearest the outline's box centre where the hull is the element on top and no
    label (labels take no pointer events, so they are checked by their boxes) covers it.
    """
    box = frame.evaluate(
        """() => { const paths = Array.from(document.querySelectorAll('path.hotspot-hull'));
             const area = p => { const b = p.getBoundingClientRect(); return b.width * b.height; };
             paths.sort((a, b) => area(b) - area(a));
             const hull = paths[0], b = hull.getBoundingClientRect();
             const covers = Array.from(document.querySelectorAll(
               '.hotspot-label div, .centre-label div, .ward-label div, .road-name span'))
               .map(e => e.getBoundingClientRect());
             const cx = b.x + b.width / 2, cy = b.y + b.height / 2, spots = [];
             for (let i = 0; i <= 16; i++) for (let j = 0; j <= 16; j++)
               spots.push([b.x + b.width * i / 16, b.y + b.height * j / 16]);
             spots.sort((p, q) => Math.hypot(p[0] - cx, p[1] - cy) - Math.hypot(q[0] - cx, q[1] - cy));
             const free = spots.find(([x, y]) => document.elementFromPoint(x, y) === hull &&
               !covers.some(r => x >= r.left - 2 && x <= r.right + 2 && y >= r.top - 2 && y <= r.bottom + 2));
             return free || [cx, cy]; }"""
    )
    return float(box[0]), float(box[1])


def visible_texts(frame, selector: str) -> list[str]:
    """Texts of the elements matching ``selector`` whose centre lies inside the map."""
    return frame.evaluate(
        """(sel) => { const r = document.querySelector('.leaflet-container').getBoundingClientRect();
             return Array.from(document.querySelectorAll(sel)).filter(e => {
               const b = e.getBoundingClientRect(); const x = b.x + b.width / 2, y = b.y + b.height / 2;
               return b.width > 0 && x > r.left && x < r.right && y > r.top && y < r.bottom;
             }).map(e => e.textContent.trim()); }""",
        selector,
    )


def test_borough_view_labels_hotspots_and_lists_everything_in_the_legend(
    page, live_server, login, network, screenshot
):
    login(BOROUGH)
    frame = map_frame(page, network)
    labels = visible_texts(frame, ".hotspot-label div")
    first = [t for t in labels if t.startswith("1 ")]
    assert first and ("Unicorn Hill" in first[0] or "Market Place" in first[0]), labels
    assert len(labels) == frame.locator("path.hotspot-hull").count()
    legend = frame.locator(".hotspot-legend").inner_text()
    for heading in ("Hotspots: incidents", "Heat (incident density)", "Wards: incidents",
                    "Town and district centres", "Road, with its name"):  # fmt: skip
        assert heading in legend, legend
    assert "Woodrow" in legend and "Town centre" in legend
    centres = visible_texts(frame, ".centre-label div")
    assert "Town centre" in centres and "Woodrow" in centres
    assert "(town centre)" not in frame.content()
    # The hotspot colours are the cartography classes (stronger = more).
    fills = frame.locator("path.hotspot-hull").evaluate_all(
        "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert set(fills) <= set(carto.HOTSPOT_COLOURS), fills
    assert carto.HOTSPOT_COLOURS[-1] in fills  # the 67-incident town centre hotspot
    # Streets are not drawn at borough zoom (they come in at street zoom).
    assert leaflet(frame, "map.getZoom()") < carto.ROAD_MIN_ZOOM
    assert visible_texts(frame, ".road-name span") == []
    assert frame.locator(".reset-view").is_visible()
    screenshot(page, "map-borough")
    assert_all_loaded(network)


def test_town_centre_view_shows_street_names_and_the_reset_button_goes_home(
    page, live_server, login, network, screenshot
):
    login(TOWN)
    frame = map_frame(page, network)
    assert leaflet(frame, "map.getZoom()") >= carto.ROAD_MIN_ZOOM
    names = visible_texts(frame, ".road-name span")
    assert {"Unicorn Hill", "Market Place"} <= set(names), names
    assert any(t.startswith("1 ") and ("Unicorn Hill" in t or "Market Place" in t)
               for t in visible_texts(frame, ".hotspot-label div"))  # fmt: skip
    screenshot(page, "map-town-centre")
    zoom_in = leaflet(frame, "map.getZoom()")
    frame.click(".reset-view")
    wait_until(frame, f"map.getZoom() < {zoom_in}")
    home = leaflet(frame, "map.getBoundsZoom(L.latLngBounds(map.getBounds())) ")
    assert home <= zoom_in - 2
    # Zoom is limited: not out beyond a step past the whole borough.
    assert leaflet(frame, "map.getMinZoom()") >= leaflet(frame, "map.getZoom()") - 1
    assert_all_loaded(network)


def test_ward_view_shows_ward_totals_and_popups_give_the_view_back(
    page, live_server, login, network, screenshot
):
    page.set_viewport_size(TALL)  # the whole map frame on screen: clicks land where aimed
    login(ABBEY)
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    screenshot(page, "map-ward-abbey")
    # Ward layer: every ward is filled by its own total for the period (as on the borough
    # view), not by the Abbey selection's count (which is 0 outside Abbey).
    fills = frame.evaluate(
        "() => Array.from(document.querySelectorAll('path.ward-area')).map(p => p.getAttribute('fill'))"
    )
    page.goto(live_server(BOROUGH))
    borough_fills = map_frame(page, network).evaluate(
        "() => Array.from(document.querySelectorAll('path.ward-area')).map(p => p.getAttribute('fill'))"
    )
    assert len(fills) == 12 and fills == borough_fills, (fills, borough_fills)
    assert len(set(fills)) >= 3
    page.goto(live_server(ABBEY))
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")  # the first fit has ended
    # Put the largest hotspot near the top edge so its popup must pan the map to fit. The map
    # may still settle (max bounds are applied on moveend), so move it until it stays there.
    for _ in range(10):
        x, y = largest_hull_centre(frame)
        if y < 120:
            break
        leaflet(frame, f"map.panBy([0, {y - 60}], {{animate: false}})")
        time.sleep(0.3)
    before = leaflet(frame, "[map.getCenter().lat, map.getCenter().lng]")
    x, y = largest_hull_centre(frame)
    assert y < 120, f"the hotspot should sit near the top edge now, at y={y}"
    frame.locator(".leaflet-container").click(position={"x": x, "y": y})
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.bounding_box()["width"] >= 250
    assert "Incidents" in popup.inner_text()
    wait_until(frame, f"Math.abs(map.getCenter().lat - {before[0]}) > 1e-6")  # the popup panned
    frame.click(".leaflet-popup-close-button")
    wait_until(frame, f"Math.abs(map.getCenter().lat - {before[0]}) < 1e-5 && "
               f"Math.abs(map.getCenter().lng - {before[1]}) < 1e-5")  # fmt: skip
    assert_all_loaded(network)


@pytest.fixture(scope="module")
def tile_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    return {"mbtiles": make_mbtiles(folder / "test.mbtiles"),
            "pmtiles": make_pmtiles(folder / "test.pmtiles")}  # fmt: skip


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_local_tile_file_is_served_by_the_app_and_shows_under_the_hotspots(
    page, serve, tile_files, network, screenshot, kind
):
    server = serve({"HOTSPOTS_BASEMAP": str(tile_files[kind])})
    page.set_viewport_size(TALL)  # the whole map frame on screen for the pixel read-back
    page.goto(server(BOROUGH))
    frame = map_frame(page, network)
    wait_until(frame, "Array.from(document.querySelectorAll('.basemap-tiles img'))"
               ".some(i => i.complete && i.naturalWidth === 256)")  # fmt: skip
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")  # labels have moved off each other
    wait_until(frame, "Array.from(document.querySelectorAll('.basemap-tiles img'))"
               ".every(i => i.classList.contains('leaflet-tile-loaded'))")  # fmt: skip
    page.wait_for_timeout(400)  # Leaflet fades tiles in over 0.2 s
    tile_requests = [u for u in network.allowed if "/tiles/" in u]
    assert tile_requests and all(u.startswith(server.url + "/tiles/") for u in tile_requests)
    assert frame.locator(".tiles-failed").is_hidden()
    screenshot(page, f"map-{kind}")
    # Labels hide what is under them: take them away to read the pixels of the hotspot itself.
    frame.evaluate("document.querySelectorAll('.hotspot-label, .ward-label, .centre-label')"
                   ".forEach(e => { e.style.display = 'none'; })")  # fmt: skip
    # Under the largest hotspot lies a loaded tile image from the app...
    x, y = largest_hull_centre(frame)
    under = frame.evaluate(
        """([x, y]) => { const img = Array.from(document.querySelectorAll('.basemap-tiles img'))
                           .filter(e => { const r = e.getBoundingClientRect();
                             return x >= r.left && x < r.right && y >= r.top && y < r.bottom; })
                           .pop();  // tiles take no pointer events: find them by position
             if (!img || !img.complete) return null;
             const c = document.createElement('canvas'); c.width = c.height = 256;
             const g = c.getContext('2d'); g.drawImage(img, 0, 0);
             const r = img.getBoundingClientRect();
             const px = Math.floor((x - r.left) * 256 / r.width), py = Math.floor((y - r.top) * 256 / r.height);
             return {src: img.src, rgb: Array.from(g.getImageData(px, py, 1, 1).data.slice(0, 3))}; }""",
        [x, y],
    )
    assert under is not None, "no loaded basemap tile under the largest hotspot"
    assert "/tiles/" in under["src"]
    assert tuple(under["rgb"]) in (TILE_RGB, EDGE_RGB)
    # ...and the pixels on screen there mix the tile in: the hull over the tile (the ward fill
    # leaves hotspots unfilled, so they keep their legend colour).
    shot = Image.open(io.BytesIO(frame.locator(".leaflet-container").screenshot())).convert("RGB")
    left, top = frame.evaluate(
        "() => { const r = document.querySelector('.leaflet-container').getBoundingClientRect();"
        " return [r.left, r.top]; }"
    )
    px = shot.getpixel((int(x - left), int(y - top)))
    hull = _rgb(carto.HOTSPOT_COLOURS[-1])
    with_tiles = min(_dist(px, c) for c in _composites(hull, TILE_RGB))
    without = min(_dist(px, c) for c in _composites(hull, (244, 244, 241)))  # map background
    assert with_tiles <= 8 < 25 <= without, (px, with_tiles, without)
    assert_all_loaded(network)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _composites(hull, below) -> list[tuple[float, ...]]:
    """What a hull pixel looks like over ``below`` (no ward fill under a hotspot)."""
    return [tuple(carto.HOTSPOT_WEB_OPACITY * h + (1 - carto.HOTSPOT_WEB_OPACITY) * b
                  for h, b in zip(hull, below))]  # fmt: skip


def _dist(a, b) -> float:
    return max(abs(p - q) for p, q in zip(a, b))


def test_osm_basemap_asks_openstreetmap_and_says_so_when_tiles_fail(
    page, serve, network, screenshot
):
    server = serve({"HOTSPOTS_BASEMAP": "osm"})
    page.goto(server(TOWN))
    frame = map_frame(page, network)
    message = frame.locator(".tiles-failed")
    message.wait_for(state="visible")
    assert "could not be loaded" in message.inner_text()
    assert network.blocked, "no tile request left the app"
    assert all(u.startswith("https://tile.openstreetmap.org/") for u in network.blocked), (
        network.blocked
    )
    assert (
        "OpenStreetMap contributors" in frame.locator(".leaflet-control-attribution").inner_text()
    )
    # The streets layer still shows the demo's street names without tiles.
    assert "Unicorn Hill" in visible_texts(frame, ".road-name span")
    screenshot(page, "map-osm-offline")
    network.blocked.clear()  # aborted on purpose: nothing else may have left the app
    assert_offline(network)


def test_incident_points_cluster_at_quarter_zoom_steps_without_errors(
    page, live_server, login, network, screenshot
):
    """The map fits its view at quarter zoom steps (zoomSnap 0.25); the incident points' marker
    clusters (Leaflet.markercluster, which keys its levels by whole zooms) still draw there."""
    login(BOROUGH)
    frame = map_frame(page, network)
    start = leaflet(frame, "map.getZoom()")
    assert leaflet(frame, "map.options.zoomSnap") == 0.25
    frame.get_by_label("Incident points", exact=False).check()  # the layer list's box
    wait_until(frame, "document.querySelectorAll('.marker-cluster').length > 0")
    fractions = []
    for step in (0.25, 0.5, 1.25):
        leaflet(frame, f"map.setZoom({start} + {step}, {{animate: false}})")
        wait_until(frame, f"map.getZoom() === {start} + {step}")
        wait_until(
            frame,
            "document.querySelectorAll('.marker-cluster, .leaflet-marker-icon').length > 0",
        )
        fractions.append(leaflet(frame, "map.getZoom() % 1"))
    assert any(f != 0 for f in fractions), fractions  # fractional zooms, drawn
    screenshot(page, "map-incident-points-fractional-zoom")
    assert network.page_errors == [] and network.console_errors == [], network
    assert_all_loaded(network)
