"""What the eye sees on the web map for a hotspot class is its legend swatch (chromium).

For every hotspot class that a period of the demo draws, the pixels inside a
hotspot of that class (no label, street or point on top) are compared with the
pixels of its legend swatch, in CIE L*a*b* (CIE76 distance): within
:data:`MAX_DELTA_E`. A hotspot that is not more than chance is compared with
the chance test's dashed swatch. The classes and verdicts are read from the
page and from ``/api/clusters``, never written here.

Screenshot kept in ``tests/artifacts/``: ``colours-<period>``.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hotspots.draw import cartography as carto
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_maps import TALL, wait_until
from tests.browser.test_pages import assert_all_loaded, map_frame

pytestmark = pytest.mark.browser

#: The largest CIE76 distance allowed between a hotspot on screen and its swatch.
MAX_DELTA_E = 10.0
#: How many clear points inside a hotspot are sampled: the median colour difference over them
#: is compared, so one point that a label or street crosses after it was chosen (the map
#: re-places its labels a frame after a move) cannot fail the test, and a wrong fill still does.
SPOTS = 15
#: Periods of the demo whose hotspots, together, fill every class.
PERIODS = ("fy=2018-19&season=winter", "fy=2018-19&season=autumn", "fy=2017-18&season=winter")


def lab(rgb) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour given as 0-255 values."""
    c = np.asarray(rgb, dtype=float)[:3] / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / [0.95047, 1.0, 1.08883]  # fmt: skip
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a, b) -> float:
    """CIE76 colour difference of two sRGB colours."""
    return float(np.linalg.norm(lab(a) - lab(b)))


def test_delta_e_can_fail():
    # The issue's own case: class 35-52's swatch #e31a1c seen as #c35560 over the ward fill.
    assert delta_e((0xE3, 0x1A, 0x1C), (0xC3, 0x55, 0x60)) > 2 * MAX_DELTA_E
    assert delta_e((10, 20, 30), (10, 20, 30)) == 0


def _hull_point(frame, index: int) -> dict:
    """Zoom to the ``index``-th hotspot outline; its fill, whether dashed, and clear points inside.

    The points (frame pixels, nearest the outline's centre first, at most
    :data:`SPOTS`) are inside the fill, at least 4 px from the outline's stroke,
    and under no label, street name or other shape at the time they are chosen.
    """
    return frame.evaluate(
        """([index, n]) => {
          const map = Object.values(window).find(v => v && v instanceof L.Map);
          const hull = document.querySelectorAll('path.hotspot-hull')[index];
          const layer = Object.values(map._layers).find(l => l._path === hull);
          map.fitBounds(layer.getBounds(), {animate: false, maxZoom: 18, padding: [80, 80]});
          // place the labels for this view now (the map does it a frame after the move):
          // the spot chosen below must stay clear of them when the screenshot is taken
          window.hotspotsPlaceLabels();
          const covers = Array.from(document.querySelectorAll(
            '.hotspot-label div, .centre-label div, .ward-label div, .road-name span'))
            .map(e => e.getBoundingClientRect());
          const b = hull.getBoundingClientRect(), spots = [];
          const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
          for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++)
            spots.push([b.x + b.width * i / 24, b.y + b.height * j / 24]);
          spots.sort((p, q) => Math.hypot(p[0] - cx, p[1] - cy) - Math.hypot(q[0] - cx, q[1] - cy));
          const svg = hull.ownerSVGElement, ctm = hull.getScreenCTM().inverse();
          const fill = (x, y) => { const pt = svg.createSVGPoint(); pt.x = x; pt.y = y;
            const at = pt.matrixTransform(ctm);
            return hull.isPointInFill(at) && !hull.isPointInStroke(at) &&
                   document.elementFromPoint(x, y) === hull; };
          const clear = ([x, y]) => [[0, 0], [4, 0], [-4, 0], [0, 4], [0, -4]].every(
            ([dx, dy]) => fill(x + dx, y + dy)) && !covers.some(r =>
            x >= r.left - 4 && x <= r.right + 4 && y >= r.top - 4 && y <= r.bottom + 4);
          return {fill: hull.getAttribute('fill'), chance: hull.classList.contains('hotspot-chance'),
                  spots: spots.filter(clear).slice(0, n)};
        }""",
        [index, SPOTS],
    )


def _swatches(frame) -> list[dict]:
    """Each legend swatch: its row's text and the centre of its box (frame pixels)."""
    return frame.evaluate(
        """() => Array.from(document.querySelectorAll('.hotspot-legend i')).map(i => {
             const r = i.getBoundingClientRect();
             return {text: i.parentElement.textContent.trim(), cls: i.className,
                     x: r.left + r.width / 2, y: r.top + r.height / 2}; })"""
    )


def _pixel(shot: Image.Image, origin: tuple[float, float], x: float, y: float) -> tuple:
    """The mean colour of the 3x3 pixels around (x, y) (frame pixels) in a screenshot."""
    px, py = round(x - origin[0]), round(y - origin[1])
    box = np.asarray(shot.crop((px - 1, py - 1, px + 2, py + 2)), dtype=float)
    return tuple(box.reshape(-1, 3).mean(axis=0))


def test_each_hotspot_class_looks_like_its_legend_swatch(page, serve, network, screenshot):
    # min_samples 4: at the automatic setting every demo hotspot is more than chance under the
    # even-spread model, and a hotspot that is not must be compared with its dashed swatch too
    live_server = serve({"HOTSPOTS_MIN_SAMPLES": 4})
    page.set_viewport_size(TALL)  # the whole map frame on screen
    seen: dict[str, float] = {}  # class colour (and chance) -> worst delta E
    for period in PERIODS:
        page.goto(live_server(f"/map?{period}&area=borough"))
        frame = map_frame(page, network)
        wait_until(frame, "window.hotspotsLabelsPlaced > 0")
        frame.locator(".hotspot-legend").evaluate("d => { d.open = true; }")
        frame.locator(".hotspot-legend i").first.wait_for()
        swatches = _swatches(frame)
        by_colour = {}
        for s in swatches:  # the class rows: their swatch colour is the class colour
            for colour, label in zip(carto.HOTSPOT_COLOURS, _class_labels(frame)):
                if s["text"] == label:
                    by_colour[colour] = s
        dashed = next(s for s in swatches if "outline-dashed" in s["cls"])
        n_hulls = frame.locator("path.hotspot-hull").count()
        assert n_hulls, f"no hotspot drawn for {period}"
        origin = frame.evaluate("() => [document.body.getBoundingClientRect().left,"
                                " document.body.getBoundingClientRect().top]")  # fmt: skip
        for index in range(n_hulls):
            hull = _hull_point(frame, index)
            assert hull["fill"] in carto.HOTSPOT_COLOURS, hull
            assert hull["spots"], f"no clear point inside hotspot {index} of {period}"
            if hull["chance"] and hull["fill"] != carto.HOTSPOT_COLOURS[1]:
                continue  # the dashed swatch is drawn in one class's colour: compare that class
            frame.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            shot = Image.open(io.BytesIO(frame.locator("body").screenshot())).convert("RGB")
            swatch = dashed if hull["chance"] else by_colour[hull["fill"]]
            in_legend = _pixel(shot, origin, swatch["x"], swatch["y"])
            deltas = [delta_e(_pixel(shot, origin, *spot), in_legend) for spot in hull["spots"]]
            d = float(np.median(deltas))
            key = f"{'not more than chance, ' if hull['chance'] else ''}class {hull['fill']}"
            seen[key] = max(seen.get(key, 0.0), d)
            if d > MAX_DELTA_E:  # keep the place for a look
                spot = hull["spots"][0]
                ox, oy = spot[0] - origin[0], spot[1] - origin[1]
                shot.crop((int(ox) - 40, int(oy) - 40, int(ox) + 40, int(oy) + 40)).resize(
                    (320, 320), Image.NEAREST
                ).save(ARTIFACTS / "colours-failed-spot.png")
            assert d <= MAX_DELTA_E, (period, hull, swatch, in_legend, deltas)
        screenshot(page, "colours-" + period.replace("&", "-").replace("=", "-"))
    # Every class was compared at least once (a hotspot that is not more than chance is
    # compared with the dashed swatch when it is of the swatch's class).
    assert {f"class {c}" for c in carto.HOTSPOT_COLOURS} <= set(seen), seen
    assert_all_loaded(network)


def _class_labels(frame) -> list[str]:
    """The legend rows of the hotspot classes, lightest first (the page lists them darkest first)."""
    rows = frame.evaluate(
        """() => { const out = []; let on = false;
             document.querySelectorAll('.hotspot-legend h4, .hotspot-legend div').forEach(e => {
               if (e.tagName === 'H4') { on = e.textContent.startsWith('Hotspots: incidents'); }
               else if (on && e.querySelector('i')) { out.push(e.textContent.trim()); } });
             return out; }"""
    )
    return list(reversed(rows))
