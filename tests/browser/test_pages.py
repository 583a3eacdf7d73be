"""The web app in a real browser: Debian's chromium, driven by Playwright, offline.

Each test logs in through the form on a live server (see ``conftest.py``),
checks what a person would see, saves a screenshot to ``tests/artifacts/`` and
asserts that the page asked for nothing beyond loopback.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from boundaries import get_path

pytestmark = pytest.mark.browser

HULL = "path.hotspot-hull"
SELECTION = "fy=2018-19&season=autumn&area=borough"


def demo_ward_names() -> list[str]:
    """The demo borough's ward names, read from its boundary file."""
    features = json.loads(get_path("demo-wards").read_text(encoding="utf-8"))["features"]
    return sorted(f["properties"]["ward_name"] for f in features)


def assert_offline(network) -> None:
    """Nothing beyond loopback was asked for, nothing was refused, no script failed."""
    assert network.blocked == [], f"requests to non-loopback hosts: {network.blocked}"
    assert network.refused == [], f"resources refused or not loaded: {network.refused}"
    assert network.page_errors == [], f"JavaScript errors: {network.page_errors}"


def assert_all_loaded(network) -> None:
    """Offline, and every response (pages, scripts, styles, images) succeeded."""
    assert_offline(network)
    assert network.failed == [], f"responses with an error status: {network.failed}"
    assert network.allowed, "no request went through the route gate at all"


def api_cluster_count(page, live_server, query: str) -> int:
    """How many clusters ``/api/clusters`` reports for ``query``, asked with the page's session."""
    response = page.request.get(live_server(f"/api/clusters?{query}"))
    assert response.ok, f"/api/clusters?{query}: {response.status}"
    body = response.json()
    features = body["features"] if isinstance(body, dict) and "features" in body else body
    return len(features)


def map_frame(page, network):
    """The map iframe's frame, loaded; fails at once (with the page's errors) if no hull is drawn.

    folium's scripts run inline as the frame loads, so once its ``load`` event has
    fired every layer that will be drawn is drawn: nothing here waits on a clock.
    """
    frame = page.wait_for_selector("#map-frame").content_frame()
    frame.wait_for_load_state("load")
    assert frame.locator(".leaflet-container").count() == 1, "no Leaflet map in the frame"
    assert frame.locator(HULL).count() > 0, (
        f"no {HULL} drawn; JavaScript errors: {network.page_errors}; console: {network.console_errors}"
    )
    return frame


def hull_shapes(frame) -> list[str]:
    """The ``d`` attribute of every hull path drawn in the map frame."""
    return frame.locator(HULL).evaluate_all("paths => paths.map(p => p.getAttribute('d'))")


def test_map_page_draws_clusters_legend_and_layer_control(
    page, live_server, login, network, screenshot
):
    login(f"/map?{SELECTION}")
    assert urlsplit(page.url).path == "/map"
    seasons = page.locator("#selection select[name=season] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert seasons == ["winter", "spring", "summer", "autumn", "all"]
    frame = map_frame(page, network)
    shapes = hull_shapes(frame)
    assert len(shapes) == api_cluster_count(page, live_server, SELECTION)
    assert all(d and d.startswith("M") for d in shapes), shapes
    assert frame.locator(".leaflet-container").is_visible()
    legend = frame.locator(".hotspot-legend")
    assert legend.is_visible()
    assert legend.inner_text().strip()
    assert frame.locator(".leaflet-control-layers").first.is_visible()
    assert "Open Government Licence" in frame.locator(".leaflet-control-attribution").inner_text()
    screenshot(page, "map")
    assert_all_loaded(network)


def test_choosing_another_season_changes_the_clusters(
    page, live_server, login, network, screenshot
):
    login(f"/map?{SELECTION}")
    before_src = page.get_attribute("#map-frame", "src")
    before = hull_shapes(map_frame(page, network))
    assert parse_qs(urlsplit(before_src).query)["season"] == ["autumn"]

    page.select_option("#selection select[name=season]", "summer")
    with page.expect_navigation():
        page.click("#selection [type=submit]")

    assert parse_qs(urlsplit(page.url).query)["season"] == ["summer"]
    after_src = page.get_attribute("#map-frame", "src")
    assert parse_qs(urlsplit(after_src).query)["season"] == ["summer"]
    assert after_src != before_src
    after = hull_shapes(map_frame(page, network))
    summer = SELECTION.replace("autumn", "summer")
    assert len(after) == api_cluster_count(page, live_server, summer)
    assert sorted(after) != sorted(before), "the same hulls were drawn for autumn and summer"
    assert page.locator("#selection select[name=season]").input_value() == "summer"
    screenshot(page, "map-summer")
    assert_all_loaded(network)


def test_ward_table_lists_the_twelve_wards_and_a_grand_total(
    page, live_server, login, network, screenshot
):
    login("/wards?fy=2018-19&season=all&area=borough")
    table = page.locator("#ward-table")
    table.wait_for()
    header = table.locator("thead th").all_inner_texts()
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
    )
    names = [row[0] for row in rows]
    assert names[-1] == "Grand Total"
    assert len(names[:-1]) == 12
    assert sorted(names[:-1]) == demo_ward_names()
    years = [i for i, col in enumerate(header) if re.fullmatch(r"\d{4}-\d{2}", col.strip())]
    assert [header[i] for i in years][-1] == "2018-19", header
    for i in years:  # the Grand Total adds up what the page shows
        assert int(rows[-1][i]) == sum(int(row[i]) for row in rows[:-1]), header[i]
    assert page.locator("#download-csv").is_visible()
    screenshot(page, "wards")
    assert_all_loaded(network)


def test_cluster_and_seasonal_pages_render(page, live_server, login, network, screenshot):
    login(f"/clusters?{SELECTION}")
    page.locator("#cluster-table").wait_for()
    rows = page.locator("#cluster-table tbody tr").count()
    assert rows == api_cluster_count(page, live_server, SELECTION)
    screenshot(page, "clusters")
    page.goto(live_server("/seasonal"))
    assert page.locator("#seasonal-chart").is_visible()
    screenshot(page, "seasonal")
    assert_all_loaded(network)


def test_logging_out_and_reloading_asks_for_login(page, live_server, login, network, screenshot):
    wards = f"/wards?{SELECTION}"  # any page with the nav; the map has tests of its own
    login(wards)
    assert page.locator("#ward-table").is_visible()
    with page.expect_navigation():
        page.click("#logout")
    assert urlsplit(page.url).path == "/login"
    page.go_back()  # the page that was open, reloaded: it must not show again
    page.reload()
    assert urlsplit(page.url).path == "/login"
    assert page.locator("#ward-table").count() == 0
    page.goto(live_server(f"/map?{SELECTION}"))
    assert urlsplit(page.url).path == "/login"
    assert page.locator("input[name=password][type=password]").is_visible()
    screenshot(page, "logged-out")
    response = page.request.get(live_server(f"/api/clusters?{SELECTION}"))
    assert response.status == 401
    assert_all_loaded(network)


def test_wrong_password_shows_the_form_again(page, live_server, network, screenshot):
    page.goto(live_server("/login"))
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation() as nav:
        page.click("button[type=submit]")
    assert nav.value.status == 401
    assert page.locator("input[name=password]").is_visible()
    screenshot(page, "login-refused")
    assert_offline(network)
