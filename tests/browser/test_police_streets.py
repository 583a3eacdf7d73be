"""The real town centre with streets from police.uk map points, at 1366x768 and 390x844.

A real-data store (the five West Mercia months, the Redditch wards and focus
areas, and ``fetch streets --from-police`` of the same files) is served; the
town centre's map must pass the layout checks of ``test_layout.py`` with the
street names on: controls apart and inside the map, hotspot labels apart and
clear of the centre names, no page wider than the screen; and the street names
must be there at town-centre zoom, apart from one another and from the hotspot
labels, with no "name only" line drawn.

Screenshots in ``tests/artifacts/``: ``police-streets-<size>-town-centre.png``
(the page) and ``police-streets-<size>-town-centre-map.png`` (the map frame).
"""

from __future__ import annotations

import itertools

import pytest

from hotspots.draw.cartography import ROAD_MIN_ZOOM
from tests.browser import test_layout
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_layout import (
    LABELS_JS,
    SIZES,
    _apart,
    assert_apart_and_inside,
    open_page,
)
from tests.browser.test_maps import leaflet, wait_until
from tests.browser.test_pages import assert_all_loaded, map_frame
from tests.conftest import POLICE, REDDITCH_WARDS

pytestmark = pytest.mark.browser
#: A page at 1366x768 or 390x844 (a touch phone), gated to loopback: test_layout's fixture.
sized = test_layout.sized

TOWN_CENTRE = "/map?fy=2018-19&season=autumn&area=Town+centre"
#: Streets of Redditch's town centre that have map points in the five months.
KNOWN = {"Unicorn Hill", "Church Green West", "Grove Street", "Bates Hill", "Prospect Hill",
         "Herbert Street", "Vine Street", "Wellington Street", "Izod Street"}  # fmt: skip

NAMES_JS = """() => {
  const box = document.querySelector('.leaflet-container').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.road-name span')).map(s => {
    const r = s.getBoundingClientRect();
    return {text: s.textContent, r: [r.left, r.top, r.right, r.bottom],
            shown: r.width > 0 && getComputedStyle(s).visibility !== 'hidden'
                   && getComputedStyle(s.parentElement).display !== 'none'
                   && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom};
  }).filter(n => n.shown);
}"""


@pytest.fixture(scope="module")
def police_streets_server(serve, shared_data, tmp_path_factory):
    from tests._police_streets import build_real_store

    store = build_real_store(tmp_path_factory.mktemp("police-streets"), POLICE, REDDITCH_WARDS)
    return serve({"HOTSPOTS_STORE": str(store)})


def _settled(page, frame) -> dict:
    """The hotspot labels once the first view has stopped moving (fit, pan into the limits)."""
    got, before = frame.evaluate(LABELS_JS), None
    for _ in range(40):
        if got == before:
            break
        page.wait_for_timeout(250)
        before, got = got, frame.evaluate(LABELS_JS)
    return got


def test_real_town_centre_with_police_streets_reads_at_desktop_and_phone(
    police_streets_server, sized, network, screenshot
):
    size, page = sized
    open_page(page, police_streets_server, False, TOWN_CENTRE)
    frame = map_frame(page, network)
    wait_until(frame, "window.hotspotsLabelsPlaced > 0")
    labels = _settled(page, frame)
    screenshot(page, f"police-streets-{size}-town-centre")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    frame.locator(".leaflet-container").screenshot(
        path=str(ARTIFACTS / f"police-streets-{size}-town-centre-map.png")
    )
    # The layout checks of test_layout, with the streets on.
    assert_apart_and_inside(frame, "town centre with streets")
    shown, box = labels["shown"], labels["box"]
    assert shown, "no hotspot label shown"
    for a, b in itertools.combinations(shown, 2):
        assert _apart(a["r"], b["r"]), f"hotspot labels overlap: {a} and {b}"
    for label in shown:
        r = label["r"]
        assert box[0] <= r[0] and r[2] <= box[2] and box[1] <= r[1] and r[3] <= box[3], label
        assert all(_apart(r, c) for c in labels["centres"]), (label, labels["centres"])
    assert page.evaluate("document.scrollingElement.scrollWidth") <= SIZES[size]["width"]
    # Street names at town-centre zoom: the known ones, apart, never over a hotspot label.
    assert leaflet(frame, "map.getZoom()") >= ROAD_MIN_ZOOM
    names = frame.evaluate(NAMES_JS)
    texts = {n["text"] for n in names}
    assert len(texts & KNOWN) >= 2 and len(texts) >= 10, (sorted(texts & KNOWN), sorted(texts))
    for a, b in itertools.combinations(names, 2):
        assert _apart(a["r"], b["r"]), f"street names overlap: {a} and {b}"
    for name in names:
        for label in shown:
            assert _apart(name["r"], label["r"]), f"{name} covers the hotspot label {label}"
    # Only joined streets are drawn as lines; a "name only" places its name, with no line.
    drawn = frame.evaluate("document.querySelectorAll('.leaflet-roads-pane path').length")
    kinds = leaflet(frame, "window.hotspotsRoads.getLayers()[0].getLayers()"
                           ".map(l => l.feature.properties.kind)")  # fmt: skip
    assert "name only" not in kinds and drawn == len(kinds)
    assert_all_loaded(network)


def test_real_town_centre_tasking_sheet_with_police_streets(police_streets_server, tmp_path):
    """The tasking PDF of the real town centre with these streets, kept as a PNG to look at."""
    import pypdfium2 as pdfium

    app = police_streets_server.app
    pdf = app.test_client().get("/tasking.pdf?fy=2018-19&season=autumn&area=Town+centre")
    assert pdf.status_code == 200, pdf.status_code
    doc = pdfium.PdfDocument(pdf.get_data())
    text = " ".join(" ".join(doc[i].get_textpage().get_text_range().split())
                    for i in range(len(doc)))  # fmt: skip
    assert "Streets: approximate, from police.uk map points" in text
    assert "OpenStreetMap" not in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i in range(len(doc)):
        doc[i].render(scale=2).to_pil().save(ARTIFACTS / f"police-streets-tasking-{i + 1}.png")
