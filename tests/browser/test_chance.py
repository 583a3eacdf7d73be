"""The chance test on the web map, as an officer sees it (chromium).

On the demo, winter 2018-19 with ``HOTSPOTS_MIN_SAMPLES=4`` (at the automatic 5
every hotspot is more than chance) has hotspots that are not more than chance (the Monte Carlo test of :mod:`hotspots.analysis.significance`, FDR 5%); which is read
from ``/api/clusters``, never written here. It must be drawn with the
cartography's dashed, paler style, listed in the legend, explained in its
popup and marked in the hotspot table, in the borough view and in its ward's view.

Screenshots kept in ``tests/artifacts/``: ``chance-borough``, ``chance-popup``,
``chance-ward``, ``chance-table``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from hotspots.draw import cartography as carto
from tests.browser.test_maps import TALL, wait_until
from tests.browser.test_pages import assert_all_loaded, map_frame

pytestmark = pytest.mark.browser

PERIOD = "fy=2018-19&season=winter"
#: At the automatic min_samples (5) every demo hotspot of winter 2018-19 is more than chance.
MIN_SAMPLES = 4
CHANCE = "path.hotspot-chance"
DASH = " ".join(str(v) for v in carto.CHANCE_DASH)


def verdicts(page, live_server, query: str) -> dict[int, dict]:
    """``cluster_id`` -> properties, from ``/api/clusters`` (asked with the page's session)."""
    response = page.request.get(live_server(f"/api/clusters?{query}"))
    assert response.ok, f"/api/clusters?{query}: {response.status}"
    doc = response.json()
    assert doc["simulations"] == 999 and "Monte Carlo" in doc["chance_test"]
    return {f["properties"]["cluster_id"]: f["properties"] for f in doc["features"]}


def hull_styles(frame) -> list[dict]:
    """Each drawn hotspot outline's class, dash pattern and fill opacity."""
    return frame.locator("path.hotspot-hull").evaluate_all(
        """ps => ps.map(p => ({cls: p.getAttribute('class'),
                               dash: p.getAttribute('stroke-dasharray'),
                               opacity: parseFloat(p.getAttribute('fill-opacity'))}))"""
    )


def free_point(frame, selector: str) -> tuple[float, float]:
    """A point (frame pixels) where the element ``selector`` is on top and no label covers it."""
    spot = frame.evaluate(
        """(sel) => { const hull = document.querySelector(sel), b = hull.getBoundingClientRect();
             const covers = Array.from(document.querySelectorAll(
               '.hotspot-label div, .centre-label div, .ward-label div, .road-name span'))
               .map(e => e.getBoundingClientRect());
             const cx = b.x + b.width / 2, cy = b.y + b.height / 2, spots = [];
             for (let i = 1; i < 16; i++) for (let j = 1; j < 16; j++)
               spots.push([b.x + b.width * i / 16, b.y + b.height * j / 16]);
             spots.sort((p, q) => Math.hypot(p[0] - cx, p[1] - cy) - Math.hypot(q[0] - cx, q[1] - cy));
             return spots.find(([x, y]) => document.elementFromPoint(x, y) === hull &&
               !covers.some(r => x >= r.left - 2 && x <= r.right + 2 && y >= r.top - 2 && y <= r.bottom + 2))
               || null; }""",
        selector,
    )
    assert spot, f"no free point inside {selector} to click"
    return float(spot[0]), float(spot[1])


def assert_marked(frame, found: dict[int, dict]) -> None:
    """Exactly the hotspots that are not more than chance are dashed and paler; the legend says so."""
    styles = hull_styles(frame)
    assert len(styles) == len(found), (styles, found)
    chance = [s for s in styles if "hotspot-chance" in s["cls"]]
    plain = [s for s in styles if "hotspot-chance" not in s["cls"]]
    assert len(chance) == sum(not p["significant"] for p in found.values()) >= 1
    assert all(s["dash"] == DASH and s["opacity"] == carto.CHANCE_WEB_OPACITY for s in chance), (
        chance
    )
    assert all(s["dash"] in (None, "") and s["opacity"] == carto.HOTSPOT_WEB_OPACITY for s in plain)
    labels = frame.locator(".hotspot-label-chance div")  # the label box is dashed too
    assert labels.count() == len(chance)
    assert all(labels.nth(i).evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
               for i in range(labels.count()))  # fmt: skip
    weak_ids = sorted(c for c, p in found.items() if not p["significant"])
    assert (
        sorted(int(labels.nth(i).inner_text().split()[0]) for i in range(labels.count()))
        == weak_ids
    )
    legend = frame.locator(".hotspot-legend").inner_text()
    assert "Chance test (999 simulations, FDR 5%)" in legend, legend
    assert "not more than chance (q > 0.05)" in legend, legend
    swatch = frame.locator(".hotspot-legend i.outline-dashed")
    assert swatch.count() == 1 and "dashed" in swatch.evaluate(
        "e => getComputedStyle(e).borderStyle"
    )


def test_a_hotspot_that_could_be_chance_is_dashed_explained_and_marked(
    page, serve, network, screenshot
):
    live_server = serve({"HOTSPOTS_MIN_SAMPLES": MIN_SAMPLES})
    page.set_viewport_size(TALL)  # the whole map frame on screen: clicks land where aimed
    page.goto(live_server(f"/map?{PERIOD}&area=borough"))
    found = verdicts(page, live_server, f"{PERIOD}&area=borough")
    weak = sorted(cid for cid, p in found.items() if not p["significant"])
    assert weak, "the demo's winter 2018-19 should have a hotspot that is not more than chance"
    assert all(found[c]["q_value"] > 0.05 for c in weak)
    assert all(p["q_value"] <= 0.05 for c, p in found.items() if c not in weak)
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    assert_marked(frame, found)
    screenshot(page, "chance-borough")

    # Centred on the weakest hotspot, its popup says in words what the test found.
    page.goto(live_server(f"/map?{PERIOD}&area=borough&focus={weak[0]}"))
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    x, y = free_point(frame, CHANCE)
    frame.locator(".leaflet-container").click(position={"x": x, "y": y})
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Chance test" in text and "Not more than chance" in text, text
    assert f"q = {found[weak[0]]['q_value']:.2g}" in text and "999 simulated boroughs" in text
    assert "Check before sending patrols" in text
    screenshot(page, "chance-popup")

    # Its ward's view shows it the same way, with the same p and q.
    ward = found[weak[0]]["ward"]
    query = f"{PERIOD}&area={quote('ward:' + ward)}"
    in_ward = verdicts(page, live_server, query)
    assert weak[0] in in_ward
    for cid, props in in_ward.items():
        assert (props["p_value"], props["q_value"], props["significant"]) == (
            found[cid]["p_value"],
            found[cid]["q_value"],
            found[cid]["significant"],
        )
    page.goto(live_server(f"/map?{query}"))
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    assert_marked(frame, in_ward)
    screenshot(page, "chance-ward")

    # The hotspot table marks the row and says it in words.
    page.goto(live_server(f"/clusters?{PERIOD}&area=borough"))
    page.locator("#cluster-table").wait_for()
    marked = page.locator("#cluster-table tbody tr.chance")
    assert marked.count() == len(weak)
    assert [int(marked.nth(i).locator("th").inner_text()) for i in range(marked.count())] == weak
    assert "not more than chance" in marked.first.locator("td.chance-test").inner_text()
    assert (
        page.locator("#cluster-table tbody tr:not(.chance) td.chance-test")
        .first.inner_text()
        .startswith("more than chance")
    )
    assert "999 simulations" in page.locator("#chance-note").inner_text()
    screenshot(page, "chance-table")
    assert_all_loaded(network)
