"""The "computing…" page in a real browser: an analyst's cold selection on the worker path.

The app computes in worker processes (its default); the page says "Computing…" at
once, refreshes itself with no script (offline, under the app's own
Content-Security-Policy) and becomes the map when the workers are done, frame and all.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

COLD = "fy=2017-18&season=autumn&area=borough&eps=85&min_samples=6"


def test_a_cold_selection_says_computing_then_becomes_the_map(page, serve, network, screenshot):
    server = serve({"HOTSPOTS_COMPUTE": "workers", "HOTSPOTS_WARM": False,
                    "HOTSPOTS_RESULT_WAIT_S": 0})  # fmt: skip
    page.goto(server(f"/map?{COLD}"))
    status = page.locator("#computing[role=status]")
    assert status.is_visible()
    assert page.locator("h1").inner_text() == "Computing…"
    assert "autumn, 2017-18, whole borough" in page.locator("#computing-message").inner_text()
    screenshot(page, "computing-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "computing-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    # no reload by the test: the page refreshes itself until the map is there
    page.wait_for_selector("#map-frame", timeout=120_000)
    frame = page.frame_locator("#map-frame")
    frame.locator("path.hotspot-hull").first.wait_for(timeout=120_000)
    screenshot(page, "computing-then-map")
    assert network.blocked == [], network.blocked
    assert network.refused == [] and network.page_errors == []
    assert not [f for f in network.failed if " 5" in f[:4]]


def test_a_cold_selections_place_patterns_arrive_once_worked_out(page, serve, network):
    """An analyst's own settings: the map's "How places changed" layer is worked out in a
    worker when switched on (202 at first); the map asks again until the squares come."""
    from hotspots.draw import cartography as carto

    server = serve({"HOTSPOTS_COMPUTE": "workers", "HOTSPOTS_WARM": False,
                    "HOTSPOTS_RESULT_WAIT_S": 0})  # fmt: skip
    page.goto(server("/map?fy=2018-19&season=autumn&area=borough&eps=80"))
    page.wait_for_selector("#map-frame", timeout=120_000)
    frame = page.frame_locator("#map-frame")
    frame.locator("path.hotspot-hull").first.wait_for(timeout=120_000)
    frame.locator("label", has_text=carto.PATTERN_LAYER).locator("input").check()
    frame.locator("path.pattern-cell").first.wait_for(timeout=60_000)
    assert frame.locator(".leaflet-popup-content").count() == 0  # no "could not be loaded"
    assert network.page_errors == [] and network.refused == []
