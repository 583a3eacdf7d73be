"""The web app's layout on a desktop (1366x768) and a phone (390x844), and its accessibility.

On the demo and, when ``../shared`` is present, the five real West Mercia months:

* the map's controls (legend, layer list, zoom, "Whole borough", attribution, scale) never
  overlap one another; on a phone the legend and the layer list start collapsed, one tap
  opens each, and the controls cover under a third of the map at load;
* a tap (a click on the desktop) on the largest hotspot opens its popup, which fits the frame;
* the map starts in the first screen; the attribution is one line on a phone, and opens;
* no page is wider than the screen;
* axe-core (``axe-playwright-python``) finds no serious or critical violation on any page,
  in the map's frame too; every map control is reached with the Tab key; the map page links
  the hotspot table as the map's text alternative.

Screenshots kept in ``tests/artifacts/``: ``layout-<data>-<size>-<page>.png`` and
``layout-<data>-<size>-map-open-legend`` / ``-open-layers`` / ``-popup``.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest

from hotspots.draw._leaflet import LABEL_REACH_PX
from tests.browser.conftest import (
    _CALL_FAILED,
    ARTIFACTS,
    LOOPBACK,
    PASSWORD,
    TIMEOUT_MS,
    USERNAME,
)
from tests.browser.test_maps import largest_hull_centre, wait_until
from tests.browser.test_pages import assert_all_loaded, map_frame

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
PERIOD = "fy=2018-19&season=autumn&area=borough"
PAGES = ["/map", "/wards", "/clusters", "/seasonal", "/tasking", "/about", "/login"]
#: Map controls that must never overlap one another: CSS selector -> name.
CONTROLS = {
    ".hotspot-legend": "legend",
    ".leaflet-control-layers": "layer list",
    ".leaflet-control-zoom": "zoom",
    ".reset-view": "Whole borough",
    ".leaflet-control-attribution": "attribution",
    ".leaflet-control-scale": "scale",
}


# --------------------------------------------------------------------------- servers and pages


@pytest.fixture(scope="module")
def real_server(serve, shared_data):
    """The five real West Mercia months, Redditch wards and centres, no login."""
    from boundaries import get_path

    files = sorted((shared_data / "police-uk" / "west-mercia").glob("*.csv"))
    assert len(files) == 5, files
    return serve({"HOTSPOTS_INPUTS": [str(p) for p in files],
                  "HOTSPOTS_WARDS": str(shared_data / "wards" / "redditch.geojson"),
                  "HOTSPOTS_AREAS": str(get_path("redditch-focus-areas"))})  # fmt: skip


@pytest.fixture(params=["demo", "real"])
def server(request, live_server):
    """``(name, server, needs_login)``: the demo (login required) or the real months."""
    if request.param == "demo":
        return "demo", live_server, True
    return "real", request.getfixturevalue("real_server"), False


@pytest.fixture(params=list(SIZES))
def sized(request, browser, network):
    """``(size name, page)``: a page in a fresh context of that size, gated to loopback.

    The phone is a touch device (``is_mobile``, ``has_touch``) as a 390x844 handset is.
    """
    name = request.param
    phone = name == "phone"
    context = browser.new_context(viewport=SIZES[name], is_mobile=phone, has_touch=phone,
                                  device_scale_factor=1)  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)

    def gate(route, req) -> None:
        url = req.url
        if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname in LOOPBACK:
            network.allowed.append(url)
            route.continue_()
        else:
            network.blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", gate)
    page = context.new_page()
    page.on("pageerror", lambda error: network.page_errors.append(str(error)))
    page.on(
        "console", lambda m: network.console_errors.append(m.text) if m.type == "error" else None
    )
    page.on("response", lambda r: network.failed.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/login") else None)  # fmt: skip
    try:
        yield name, page
        if request.node.stash.get(_CALL_FAILED, False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed.png"))
    finally:
        context.close()


def open_page(page, server, needs_login: bool, path: str) -> None:
    """Go to ``path``, through the login form when the server asks for one."""
    page.goto(server(path))
    if needs_login and urlsplit(page.url).path == "/login" and path != "/login":
        page.fill("input[name=username]", USERNAME)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert urlsplit(page.url).path == urlsplit(path).path, page.url


def boxes(frame) -> dict[str, dict]:
    """The shown map controls' boxes (frame pixels), by name."""
    found = {}
    for selector, name in CONTROLS.items():
        loc = frame.locator(selector)
        if loc.count() and loc.first.is_visible():
            found[name] = loc.first.bounding_box()
    return found


def overlap(a: dict, b: dict) -> float:
    """The area two boxes share."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(w, 0) * max(h, 0)


def container_box(frame) -> dict:
    return frame.locator(".leaflet-container").bounding_box()


def assert_apart_and_inside(frame, when: str) -> dict[str, dict]:
    """No two controls share a pixel, and each lies inside the map."""
    found = boxes(frame)
    for (a, ba), (b, bb) in itertools.combinations(found.items(), 2):
        assert overlap(ba, bb) == 0, f"{when}: {a} {ba} overlaps {b} {bb}"
    inner = container_box(frame)
    for name, b in found.items():
        assert b["x"] >= inner["x"] - 0.5 and b["y"] >= inner["y"] - 0.5, (when, name, b, inner)
        assert b["x"] + b["width"] <= inner["x"] + inner["width"] + 0.5, (when, name, b, inner)
        assert b["y"] + b["height"] <= inner["y"] + inner["height"] + 0.5, (when, name, b, inner)
    return found


def tap(page, frame, selector: str, *, phone: bool, position: dict | None = None) -> None:
    """A finger's tap on a phone, a mouse click on the desktop."""
    target = frame.locator(selector).first
    if phone:
        target.tap(position=position)
    else:
        target.click(position=position)


def legend_open(frame) -> bool:
    return frame.locator(".hotspot-legend").evaluate("d => d.open")


def layers_open(frame) -> bool:
    return frame.locator(".leaflet-control-layers").evaluate(
        "c => c.classList.contains('leaflet-control-layers-expanded')"
    )


# --------------------------------------------------------------------------- the map


def test_map_controls_never_overlap_and_a_tap_opens_the_largest_hotspot(
    server, sized, network, screenshot
):
    data, app, needs_login = server
    size, page = sized
    phone = size == "phone"
    open_page(page, app, needs_login, f"/map?{PERIOD}")
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    view = SIZES[size]
    # The map starts in the first screen: its top in the upper third, most of it shown.
    top = page.locator("#map-frame").bounding_box()
    assert top["y"] < view["height"] / 3, f"the map starts {top['y']} px down"
    shown = min(top["y"] + top["height"], view["height"]) - top["y"]
    assert shown >= 0.55 * view["height"], f"only {shown} px of the map in the first screen"
    screenshot(page, f"layout-{data}-{size}-map")
    found = assert_apart_and_inside(frame, "at load")
    assert {"legend", "layer list", "zoom", "Whole borough", "attribution"} <= set(found), found
    inner = container_box(frame)
    area = inner["width"] * inner["height"]
    covered = sum(b["width"] * b["height"] for b in found.values())
    if phone:
        assert not legend_open(frame) and not layers_open(frame), "open at load on a phone"
        assert covered < area / 3, f"controls cover {covered / area:.0%} of the map at load"
        # The attribution is one line, and opens to its full text when tapped.
        attribution = frame.locator(".leaflet-control-attribution")
        assert attribution.bounding_box()["height"] <= 24, attribution.bounding_box()
        tap(page, frame, ".attribution-toggle", phone=True)
        assert attribution.bounding_box()["height"] > 24
        assert "Open Government Licence" in attribution.inner_text()
        tap(page, frame, ".attribution-toggle", phone=True)
        assert attribution.bounding_box()["height"] <= 24
        # One tap opens each of legend and layer list; open, they still overlap nothing.
        tap(page, frame, ".hotspot-legend summary", phone=True)
        assert legend_open(frame)
        assert_apart_and_inside(frame, "legend open")
        screenshot(page, f"layout-{data}-{size}-map-open-legend")
        tap(page, frame, ".leaflet-control-layers-toggle", phone=True)
        assert layers_open(frame)
        assert_apart_and_inside(frame, "layer list open")
        screenshot(page, f"layout-{data}-{size}-map-open-layers")
        size_now = container_box(frame)
        tap(page, frame, ".leaflet-container", phone=True,
            position={"x": size_now["width"] / 2, "y": size_now["height"] - 90})  # fmt: skip
        assert not layers_open(frame), "a tap on the map leaves the layer list open"
        wait_until(frame, "!map._animatingZoom")
        page.wait_for_timeout(300)  # any zoom or pan has ended
        # Now and then chromium's emulated tap gives the map two clicks, which Leaflet reads
        # as a double tap (a zoom in about the tap, taking the town centre off the frame):
        # "Whole borough" puts the first view back before the largest hotspot is tapped.
        tap(page, frame, ".reset-view", phone=True)
        wait_until(frame, "!map._animatingZoom")
        page.wait_for_timeout(300)
    else:
        assert legend_open(frame) and layers_open(frame), "the desktop starts with both open"
        assert covered < area / 2, f"controls cover {covered / area:.0%} of the map"
        legend = frame.locator(".hotspot-legend")
        assert legend.evaluate("d => d.scrollHeight <= d.clientHeight + 1 || "
                               "getComputedStyle(d).overflowY === 'auto'")  # fmt: skip
    # A tap on the largest hotspot opens its popup, which fits the frame.
    frame.evaluate("document.querySelectorAll('.hotspot-legend').forEach(d => d.open = false)")
    x, y = largest_hull_centre(frame)  # in the frame's own pixels, as the tap's position
    left, top = frame.evaluate(
        "(() => { const r = document.querySelector('.leaflet-container').getBoundingClientRect();"
        " return [r.left, r.top]; })()"
    )
    tap(page, frame, ".leaflet-container", phone=phone, position={"x": x - left, "y": y - top})
    popup = frame.locator(".leaflet-popup")
    popup.wait_for()
    assert "Incidents" in popup.inner_text()
    page.wait_for_timeout(400)  # the popup's pan to fit
    b, inner = popup.bounding_box(), container_box(frame)
    assert b["y"] >= inner["y"] - 0.5 and b["y"] + b["height"] <= inner["y"] + inner["height"] + 0.5, (b, inner)  # fmt: skip
    assert b["x"] >= inner["x"] - 0.5 and b["x"] + b["width"] <= inner["x"] + inner["width"] + 0.5, (b, inner)  # fmt: skip
    for name, c in boxes(frame).items():  # clear of every control (the legend folds away)
        assert overlap(b, c) == 0, f"the popup {b} overlaps the {name} {c}"
    content = frame.locator(".leaflet-popup-content")
    assert content.evaluate("c => c.scrollHeight <= c.clientHeight + 1 || "
                            "['auto', 'scroll'].includes(getComputedStyle(c).overflowY)")  # fmt: skip
    screenshot(page, f"layout-{data}-{size}-map-popup")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= view["width"]
    assert frame.evaluate("document.scrollingElement.scrollWidth") <= inner["width"] + 2
    assert_all_loaded(network)


LABELS_JS = """() => {
  const box = document.querySelector('.leaflet-container').getBoundingClientRect();
  const shown = Array.from(document.querySelectorAll('.hotspot-label')).map(icon => {
    const d = icon.querySelector('div'), r = d.getBoundingClientRect(), a = icon.getBoundingClientRect();
    const lead = icon.querySelector('.leader');
    const px = Math.min(Math.max(a.left, r.left), r.right), py = Math.min(Math.max(a.top, r.top), r.bottom);
    return {text: d.textContent, full: d.getAttribute('data-full'), w: r.width,
            r: [r.left, r.top, r.right, r.bottom], away: Math.hypot(px - a.left, py - a.top),
            leader: !!lead && getComputedStyle(lead).display !== 'none' ? lead.offsetWidth : 0};
  }).filter(l => l.w > 0);
  const text = d => { const range = document.createRange(); range.selectNodeContents(d);
                      return range.getBoundingClientRect(); };  // the name, not its 160 px div
  const centres = Array.from(document.querySelectorAll('.centre-label div'))
    .map(text).filter(r => r.width > 0).map(r => [r.left, r.top, r.right, r.bottom]);
  const wards = Array.from(document.querySelectorAll('.ward-label div'))
    .map(text).filter(r => r.width > 0).map(r => [r.left, r.top, r.right, r.bottom]);
  return {box: [box.left, box.top, box.right, box.bottom], shown, centres, wards,
          hulls: document.querySelectorAll('path.hotspot-hull').length};
}"""


def _apart(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


@pytest.mark.parametrize("area", ["borough", "Town+centre"])
def test_hotspot_labels_stay_apart_inside_the_frame_with_a_leader_when_moved(
    server, sized, network, screenshot, area
):
    data, app, needs_login = server
    size, page = sized
    open_page(page, app, needs_login, f"/map?fy=2018-19&season=autumn&area={area}")
    frame = map_frame(page, network)
    frame.wait_for_load_state("load")
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    got, before = frame.evaluate(LABELS_JS), None
    for _ in range(40):  # the first view settles (fit, pan into the limits): read it once still
        if got == before:
            break
        page.wait_for_timeout(250)
        before, got = got, frame.evaluate(LABELS_JS)
    shown, box = got["shown"], got["box"]
    screenshot(page, f"layout-{data}-{size}-labels-{area.replace('+', '-').lower()}")
    assert shown, "no hotspot label shown"
    first = [x for x in shown if x["full"].startswith("1 ")]
    assert first and first[0]["text"] == first[0]["full"], shown  # the first hotspot in full
    for a, b in itertools.combinations(shown, 2):
        assert _apart(a["r"], b["r"]), f"labels overlap: {a} and {b}"
    for a, b in itertools.combinations(got["centres"], 2):
        assert _apart(a, b), f"centre names overlap: {a} and {b}"
    for label in shown:
        r = label["r"]
        assert box[0] <= r[0] and r[2] <= box[2] and box[1] <= r[1] and r[3] <= box[3], (label, box)
        assert all(_apart(r, c) for c in got["centres"]), (label, got["centres"])
        assert all(_apart(r, w) for w in got["wards"]), (label, got["wards"])
        assert label["text"] in (label["full"], label["full"].split(" ")[0]), label
        if label["away"] > 4:  # moved off its place: a line leads back to the hotspot
            assert label["leader"] >= label["away"] - 1, label
        if label["text"] != label["text"].split(" ")[0] and not label["full"].startswith("1 "):
            # a street is named only by its hotspot; else the rank alone
            assert label["away"] <= LABEL_REACH_PX + 1, label


# --------------------------------------------------------------------------- every page


def test_no_page_is_wider_than_the_screen_and_axe_finds_nothing_serious(
    server, sized, network, screenshot
):
    from axe_playwright_python.sync_playwright import Axe

    data, app, needs_login = server
    size, page = sized
    axe = Axe()
    found = {}
    for path in PAGES:
        query = "" if path in ("/about", "/login", "/seasonal") else f"?{PERIOD}"
        open_page(page, app, needs_login, path + query)
        if path == "/login" and not needs_login:
            assert urlsplit(page.url).path in ("/login", "/map"), page.url
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= SIZES[size]["width"], f"{path} is {width} px wide at {SIZES[size]['width']}"
        screenshot(page, f"layout-{data}-{size}-{path.strip('/')}")
        targets = [("page", page)]
        if path == "/map":
            targets.append(("map frame", map_frame(page, network)))
        for where, target in targets:
            results = axe.run(target)
            bad = [v for v in results.response["violations"]
                   if v["impact"] in ("serious", "critical")]  # fmt: skip
            if bad:
                found[f"{path} ({where})"] = [
                    (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:4]) for v in bad
                ]
    assert found == {}, found
    assert network.blocked == [] and network.page_errors == [], network


def test_seasonal_page_on_the_five_real_months_shows_no_data_not_zero(
    real_server, sized, network, screenshot
):
    """Apr-Sep and Mar are outside the real data: the chart, its note and the table say "no data"."""
    size, page = sized
    open_page(page, real_server, False, "/seasonal")
    chart = page.locator("#seasonal-chart svg >> visible=true")  # the desktop's or the phone's
    assert chart.count() == 1 and chart.is_visible()
    # its text reads at this width: a month's name at least 9 px tall (the desktop's chart
    # shrunk to a phone's width made it 5 px)
    month = chart.locator("text", has_text="Oct").first.bounding_box()
    assert month["height"] >= 9, month
    # its hatching and clipping point into itself (not at the other chart, hidden: no hatching)
    elsewhere = chart.evaluate("""svg => Array.from(svg.querySelectorAll('[style*="url(#"], [clip-path]'))
        .map(e => ((e.getAttribute('style') || '') + (e.getAttribute('clip-path') || ''))
        .match(/url\\(#([^)]+)\\)/)[1]).filter(id => !svg.contains(document.getElementById(id)))""")
    assert elsewhere == [], elsewhere
    # the chart's hatched bands carry the words, and the legend names them
    labels = chart.locator("text", has_text="no data")
    assert labels.count() >= 3, labels.all_inner_texts()  # two bands and the legend entry
    for i in range(labels.count()):
        box, frame = labels.nth(i).bounding_box(), chart.bounding_box()
        assert (
            box["x"] >= frame["x"] - 1
            and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        )
    note = page.locator("#no-data-note")
    assert note.is_visible() and "2018-19: Apr–Sep, Mar" in note.inner_text()
    cells = page.locator("#seasonal-table td.no-data")
    assert cells.count() == 7 and {t.strip() for t in cells.all_inner_texts()} == {"no data"}
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"/seasonal is {width} px wide"
    screenshot(page, f"seasonal-real-no-data-{size}")
    assert network.blocked == [] and network.page_errors == [], network


@pytest.mark.parametrize("path, table", [("/tasking", "#tasking-table"),
                                         ("/clusters", "#cluster-table")])  # fmt: skip
def test_hotspot_tables_on_a_phone_are_one_card_per_hotspot_with_every_column_in_reach(
    server, sized, network, screenshot, path, table
):
    """The tasking sheet and the hotspot table: a phone shows each hotspot's row as a card (its
    columns named, none off screen); a desktop the table with its header."""
    data, app, needs_login = server
    size, page = sized
    open_page(page, app, needs_login, f"{path}?{PERIOD}")
    width = SIZES[size]["width"]
    first = page.locator(f"{table} tbody tr").first
    cells = first.locator("td[data-label]")
    assert cells.count() >= 9
    header = page.locator(f"{table} thead")
    if size == "phone":
        for i in range(cells.count()):
            cell = cells.nth(i)
            box = cell.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (i, box)
            named = cell.evaluate("c => getComputedStyle(c, '::before').content")
            assert cell.get_attribute("data-label") in named, named  # "Trend: up"
        link = first.locator("a.map-link").bounding_box()
        assert link["x"] + link["width"] <= width, link
        assert header.bounding_box()["width"] <= 1  # the header row: for screen readers only
    else:
        assert header.is_visible() and header.bounding_box()["width"] > 10
        assert cells.first.evaluate("c => getComputedStyle(c, '::before').content") == "none"
    screenshot(page, f"cards-{path.strip('/')}-{data}-{size}")
    assert network.blocked == [] and network.page_errors == [], network


def test_the_swipe_hint_shows_only_where_a_table_is_wider_than_the_screen(server, sized, network):
    """A phone's "Swipe the table sideways" line, over a wide table only where it overflows."""
    _data, app, needs_login = server
    size, page = sized
    seen = []
    for path in ("/wards", "/clusters", "/tasking"):
        open_page(page, app, needs_login, f"{path}?{PERIOD}")
        page.wait_for_load_state("load")
        for frame in page.locator(".table-scroll.wide").all():
            overflows = frame.evaluate("f => f.scrollWidth > f.clientWidth + 1")
            hint = frame.evaluate("f => getComputedStyle(f, '::before').content") != "none"
            assert hint == (overflows and size == "phone"), (path, overflows, hint)
            seen.append((path, overflows))
    assert len(seen) >= 3, seen
    assert network.blocked == [] and network.page_errors == [], network


def test_every_map_control_is_reached_with_the_tab_key(sized, live_server, network):
    size, page = sized
    open_page(page, live_server, True, f"/map?{PERIOD}")
    frame = map_frame(page, network)
    # The map's text alternative: the hotspot table of the same selection, linked by the frame.
    alt = page.locator("#map-text-alternative")
    assert alt.get_attribute("href") == f"/clusters?{PERIOD}"
    assert page.locator("#map-frame").get_attribute("aria-describedby") == "map-text-note"
    assert "hotspot table" in page.locator("#map-text-note").inner_text().lower()
    # Tab from the top of the page through the frame: note what takes the focus; Enter on the
    # (collapsed) layer list's button opens it, as a keyboard user would.
    page.locator("body").focus()
    seen = []
    for _ in range(120):
        page.keyboard.press("Tab")
        here = frame.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return '';
                 const c = e.closest('.leaflet-control, .hotspot-legend');
                 const own = typeof e.className === 'string' ? e.className : '';
                 return (c ? c.className.split(' ').filter(k => k !== 'leaflet-control')[0] + ':' : '')
                   + e.tagName.toLowerCase() + ':' + own; }"""
        )  # fmt: skip
        if not here and any(seen):
            break  # out of the frame again
        seen.append(here)
        if "leaflet-control-layers-toggle" in here:
            page.keyboard.press("Enter")
    seen = [s for s in seen if s]
    wanted = ["leaflet-control-zoom", "reset-view", "hotspot-legend:summary",
              "leaflet-control-layers"]  # fmt: skip
    if size == "phone":
        wanted.append("attribution-toggle")
    for name in wanted:
        assert any(name in s for s in seen), (name, seen)
    # The layer list's boxes are reached too (on a phone once the list is opened by Enter).
    assert any("leaflet-control-layers" in s and "input" in s for s in seen), seen
