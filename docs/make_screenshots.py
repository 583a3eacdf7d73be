"""Make the README's screenshots from the embedded demo: the borough map and a tasking sheet.

    .venv/bin/python docs/make_screenshots.py        # writes docs/borough-map.png, docs/tasking-sheet.png

The map is the web app's borough view (autumn 2018-19) in Debian's chromium
(Playwright; every request beyond loopback is refused, so it shows what an
offline install shows). The tasking sheet is the first page of ``hotspots
tasking --season autumn --fy 2018-19 -o sheet.pdf``, drawn from the same
matplotlib figure as the PDF page.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
QUERY = "fy=2018-19&season=autumn&area=borough"


def borough_map(path: Path) -> Path:
    """Screenshot the demo's borough map (the map frame only) into ``path``."""
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from webapp import create_app

    app = create_app({"SECRET_KEY": "screenshots", "HOTSPOTS_REQUIRE_LOGIN": False})
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.route("**/*", lambda route, req: route.continue_()
                       if urlsplit(req.url).hostname in ("127.0.0.1", None) else route.abort())  # fmt: skip
            page.goto(f"{url}/map/frame?{QUERY}")
            page.wait_for_selector("path.hotspot-hull")
            # labels are placed once the map has settled (around the open controls)
            page.wait_for_function("window.hotspotsLabelsPlaced > 0")
            page.wait_for_timeout(500)
            page.screenshot(path=str(path))
            browser.close()
    finally:
        server.close()
    return path


def tasking_sheet(path: Path) -> Path:
    """The first page of the demo's autumn 2018-19 tasking sheet as a PNG."""
    from boundaries import get_path
    from hotspots.analysis.notes import data_note, selection_title
    from hotspots.analysis.prepare import select_incidents
    from hotspots.draw.static import MapStyle, save_figure
    from hotspots.loader import DataSpec, load
    from hotspots.outputs.tasking import tasking
    from hotspots.outputs.tasking_pages import sheet_figures

    prepared = load(DataSpec())
    sheet, clusters = tasking(prepared, season="autumn", financial_year="2018-19")
    chosen = select_incidents(prepared.incidents, season="autumn", financial_year="2018-19")
    style = MapStyle(dpi=110, roads=str(get_path("demo-roads")))
    fig = next(sheet_figures(sheet, clusters, prepared.wards, areas=prepared.areas, demo=True,
                             title=selection_title(season="autumn", financial_year="2018-19"),
                             note=data_note(chosen, demo=True), style=style))  # fmt: skip
    return save_figure(fig, path)


def shrink(path: Path) -> Path:
    """Re-save a PNG with the strongest compression (colours kept exact: no palette)."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
    rgb.save(path, optimize=True)
    return path


def main() -> int:
    """Write both screenshots and print where they are."""
    DOCS.mkdir(exist_ok=True)
    for made in (borough_map(DOCS / "borough-map.png"), tasking_sheet(DOCS / "tasking-sheet.png")):
        print(shrink(made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
