"""The "How places changed" layer as an officer uses it: off at first, switched on, a tooltip.

Screenshots kept in ``tests/artifacts/``: ``map-patterns-borough``, ``map-patterns-town-centre``,
``map-patterns-tooltip``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from hotspots.analysis.patterns import PATTERNS
from hotspots.draw import cartography as carto
from tests.browser.test_pages import assert_all_loaded, map_frame

pytestmark = pytest.mark.browser

PERIOD = "fy=2018-19&season=autumn"
BOROUGH = f"/map?{PERIOD}&area=borough"
TOWN = f"/map?{PERIOD}&area={quote('Town centre')}"
CELL = "path.pattern-cell"


def switch_on(frame) -> None:
    """Tick the layer in the layer list, as an officer would."""
    box = frame.locator("label", has_text=carto.PATTERN_LAYER).locator("input")
    assert not box.is_checked()
    box.check()
    frame.wait_for_selector(CELL)


def test_layer_is_listed_off_and_the_legend_names_every_class(
    page, live_server, login, network, screenshot
):
    login(BOROUGH)
    frame = map_frame(page, network)
    assert frame.locator(CELL).count() == 0  # off until switched on, and so is its legend
    heading = f"{carto.PATTERN_LAYER} (7 seasons, spring 2017-18 to autumn 2018-19)"
    assert heading not in frame.locator(".hotspot-legend").inner_text()
    switch_on(frame)
    legend = frame.locator(".hotspot-legend").inner_text()
    assert heading in legend, legend
    for name in PATTERNS:
        assert f"{name}: " in legend, legend
    fills = set(frame.locator(CELL).evaluate_all("ps => ps.map(p => p.getAttribute('fill'))"))
    assert fills <= set(carto.PATTERN_COLOURS.values()), fills
    assert len(fills) >= 4, fills  # the demo has places of (nearly) every class
    screenshot(page, "map-patterns-borough")
    frame.locator("label", has_text=carto.PATTERN_LAYER).locator("input").uncheck()
    assert frame.locator(CELL).count() == 0
    assert heading not in frame.locator(".hotspot-legend").inner_text()
    assert_all_loaded(network)


def test_tooltip_names_the_class_and_the_seasons_hot(page, live_server, login, network, screenshot):
    login(TOWN)
    frame = map_frame(page, network)
    switch_on(frame)
    screenshot(page, "map-patterns-town-centre")
    # Hover the cells until one answers; read its tooltip.
    cells = frame.locator(CELL)
    text = ""
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        if not box or box["width"] < 4:
            continue
        frame.page.mouse.move(0, 0)
        cells.nth(i).hover(force=True)
        tip = frame.locator(".leaflet-tooltip")
        if tip.count() and "Pattern" in tip.first.inner_text():
            text = tip.first.inner_text()
            break
    assert text, "no pattern tooltip appeared"
    name = next(p for p in PATTERNS if p in text)
    assert "Hot" in text and "of 7 seasons" in text and "When hot" in text, text
    assert "2018-19" in text or "2017-18" in text, text
    screenshot(page, "map-patterns-tooltip")
    assert name in PATTERNS
    assert_all_loaded(network)
