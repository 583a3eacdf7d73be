"""hotspots.draw.webmap: the folium map of one selection, built from tiny hand-made data."""

from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from hotspots.draw import cartography as carto
from hotspots.draw.assets import localized_html
from hotspots.draw.webmap import MAX_HEAT_CELLS, heat_grid, hotspot_map, sample_points, ward_summary

EVIL = "<script>alert('x')</script>"


def _wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"], "ward_name": ["Abbey", "West & Hill"]},
        geometry=[box(404000, 267000, 405000, 268000), box(405000, 267000, 406000, 268000)],
        crs=27700,
    )


def _incidents(n_abbey: int = 30, n_west: int = 10) -> gpd.GeoDataFrame:
    pts = [Point(404500, 267500)] * n_abbey + [Point(405500, 267500)] * n_west
    return gpd.GeoDataFrame(
        {"ward": ["Abbey"] * n_abbey + ["West & Hill"] * n_west}, geometry=pts, crs=27700
    )


def _clusters() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "cluster_id": [1, 2],
            "incidents": [30, 10],
            "share": [0.75, 0.25],
            "ward": ["Abbey", "West & Hill"],
            "area": ["Town centre", ""],
            "top_locations": [f"On or near {EVIL} (30)", "On or near Park (10)"],
            "top_categories": ["Rowdy (30)", "Vehicle (10)"],
            "months": ["2018-10, 2018-11", "2018-10"],
            "previous": [20, 0],
            "change": [10, 10],
            "trend": ["growing", "new"],
        },
        geometry=[Point(404500, 267500).buffer(40), Point(405500, 267500).buffer(40)],
        crs=27700,
    )


def test_ward_summary_counts_every_ward_and_rates_where_known():
    stats = ward_summary(_incidents(), _wards(), population=pd.Series({"Abbey": 3000.0}))
    assert stats["incidents"].tolist() == [30, 10]
    assert stats["rate_per_1000"].iloc[0] == 10.0
    assert np.isnan(stats["rate_per_1000"].iloc[1])


def test_map_has_hulls_popups_legend_layers_and_licence():
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents(), caption="autumn 2018-19"))  # fmt: skip
    assert '"className": "hotspot-hull"' in html
    assert "hotspot-legend" in html
    assert "Open Government Licence" in html
    assert '"collapsed": false' in html
    for layer in ("Hotspots (DBSCAN clusters)", "Heat (incident density)", "Wards: incidents",
                  "Ward names", "Incident points (40)"):  # fmt: skip
        assert layer in html, layer
    assert "growing: +10 (20 then)" in html  # change vs the same season a year before
    assert "Oct\\u2013Nov 2018" in html or "Oct–Nov 2018" in html  # months as a reader says them
    assert "2018-10" not in html
    assert "West \\u0026amp; Hill" in html  # names HTML-escaped (then JSON-escaped)
    assert EVIL not in html  # free text is escaped before folium writes it into the popup
    assert "L.tileLayer" not in html  # no basemap unless configured
    # With no tile layer the map itself must say how far it zooms, or the clustered
    # incident markers throw "Map has no maxZoom specified" and nothing after them is drawn.
    map_options = html[html.index("L.map(") :][:400]
    assert '"maxZoom": 19' in map_options
    # Heat and incident points start switched off (their layers are not added to the map).
    points_group = re.search(r'"Incident points \(40\)" : (\w+)', html).group(1)
    heat = re.search(r'"Heat \(incident density\)" : (\w+)', html).group(1)
    for layer in (points_group, heat):
        assert f"{layer}.addTo(map_" not in html, layer


def test_map_without_clusters_says_so():
    empty = _clusters().iloc[0:0]
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), empty, _incidents()))
    assert "No hotspot in this selection." in html
    assert "hotspot-hull" not in html


def test_map_fits_the_focus_shape():
    focus = box(404400, 267400, 404600, 267600)
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents(), focus=focus))  # fmt: skip
    s, w, n, e = (float(v) for v in re.search(
        r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", html).groups())  # fmt: skip
    assert 0.001 < n - s < 0.003 and 0.002 < e - w < 0.004  # about 200 m, not the wards' 2 km


def test_first_view_is_set_at_once_before_the_zoom_limits():
    # A zoom animation at load (the first fit after the zoom limits had moved the view) undid
    # whatever moved the map while it ran: the view jumped back a moment after a tap.
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents()))  # fmt: skip
    first_fit = re.search(r"fitBounds\(\s*\[\[[-\d., \[\]]+\]\],\s*(\{[^}]*\})", html)
    assert first_fit and '"animate": false' in first_fit.group(1), first_fit
    assert first_fit.start() < html.index("setMinZoom") and first_fit.start() < html.index(
        "setMaxBounds"
    )


def test_tiles_only_when_configured():
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents(), tiles_url="https://t.example/{z}/{x}/{y}.png",
                                      tiles_attribution="© Tiles"))  # fmt: skip
    assert "https://t.example/{z}/{x}/{y}.png" in html and "\\u00a9 Tiles" in html


def test_layers_stay_small_however_many_incidents():
    rng = np.random.default_rng(1)
    n = 100_000
    xy = rng.uniform([400000, 262000], [410000, 272000], size=(n, 2))
    many = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    cells = heat_grid(many)
    assert 0 < len(cells) <= MAX_HEAT_CELLS
    assert sum(c[2] for c in cells) == n  # every incident counted once
    assert len(sample_points(many, max_points=2000)) == 2000
    assert sample_points(many, max_points=2000) == sample_points(many, max_points=2000)


# --------------------------------------------------------------------------- one cartography


def _hull_geojson(m):
    """The hotspot GeoJson layer of a folium map."""
    return next(c for c in m._children.values() if getattr(c, "layer_name", "") ==
                "Hotspots (DBSCAN clusters)")  # fmt: skip


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def test_largest_hotspot_has_one_colour_on_the_web_map_static_png_and_tasking_pdf(demo, tmp_path):
    """The colour test: web hull style, a PNG pixel inside the hull, the tasking PDF's fills."""
    from PIL import Image
    from pypdf import PdfReader

    from hotspots.draw.static import MapStyle, WardLayer, map_figure, save_figure
    from hotspots.outputs.tasking import tasking, write_sheet

    sheet, clusters = tasking(demo, season="autumn", financial_year="2018-19")
    expected = carto.hotspot_classes(clusters).colour(clusters["incidents"].max())
    assert expected == carto.HOTSPOT_COLOURS[-1]  # the largest is in the strongest class
    # Web: the style Leaflet is given for the largest hotspot.
    m = hotspot_map(ward_summary(demo.incidents, demo.wards), clusters, demo.incidents)
    layer = _hull_geojson(m)
    largest = max(layer.data["features"], key=lambda f: int(f["properties"]["incidents"]))
    assert layer.style_function(largest)["fillColor"] == expected
    # Static PNG: the pixels inside the largest hull (away from its outline and label).
    hull = clusters.iloc[0].geometry
    extent = tuple(np.array(hull.bounds) + np.array([-300, -300, 300, 300]))
    fig = map_figure(clusters, WardLayer.of(demo.wards), title="t", note="n", extent=extent,
                     style=MapStyle(dpi=100))  # fmt: skip
    png = save_figure(fig, tmp_path / "m.png")
    inner = hull.buffer(-15)
    ax = fig.axes[0]
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=float)
    height = pixels.shape[0]
    samples = []
    for pt in (inner.representative_point(), inner.centroid):
        x, y = ax.transData.transform((pt.x, pt.y))
        samples.append(pixels[round(height - y), round(x)])
    assert any(np.abs(s - _rgb(expected)).max() <= 2 for s in samples), (samples, expected)
    # Tasking PDF: the fill colour operators of its page(s).
    pdf = write_sheet(sheet, tmp_path / "s.pdf", clusters=clusters, wards=demo.wards, title="t",
                      note="n", areas=demo.areas)  # fmt: skip
    fills = []
    for page in PdfReader(pdf).pages:
        data = page.get_contents().get_data().decode("latin-1")
        fills += [tuple(float(v) for v in m) for m in
                  re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) rg", data)]  # fmt: skip
    want = _rgb(expected) / 255
    hits = [f for f in fills if np.abs(np.array(f) - want).max() <= 1 / 255]
    assert len(hits) >= 2, f"{expected} used {len(hits)} time(s) in the PDF"  # hull and rank cell


def test_hotspot_classes_are_the_same_in_any_view_of_a_season():
    """Classes come from min_samples, not from the hotspots on show."""
    whole = gpd.GeoDataFrame({"incidents": [80, 30, 12]}, geometry=[None] * 3)
    whole.attrs["min_samples"] = 10
    part = whole.iloc[1:].copy()
    part.attrs["min_samples"] = 10
    assert carto.hotspot_classes(whole) == carto.hotspot_classes(part)
    assert carto.hotspot_classes(whole).colour(30) == carto.hotspot_classes(part).colour(30)
    assert carto.HOTSPOT_COLOURS[0] not in carto.WARD_COLOURS  # distinct hue families


def test_map_labels_hotspots_and_centres_and_draws_roads(demo):
    from boundaries import get_path
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.read.roads import read_roads

    clusters = hotspots_for(demo, season="autumn", financial_year="2018-19")
    html = localized_html(hotspot_map(ward_summary(demo.incidents, demo.wards), clusters,
                                      demo.incidents, areas=demo.areas,
                                      roads=read_roads(get_path("demo-roads"))))  # fmt: skip
    div = "\\u003cdiv\\u003e{}\\u003c/div\\u003e"  # folium writes the DivIcon HTML as JSON
    assert div.format("1 Market Place / Unicorn Hill") in html
    assert div.format("2 Woodrow Centre") in html
    assert div.format("Town centre") in html and "(town centre)" not in html
    assert '"Unicorn Hill"' in html and "road-name" in html
    assert "Whole borough" in html and "setMaxBounds" in html
    assert re.search(r'"gradient": \{\s*"0.0": "#440154"', html)  # viridis heat


def test_ward_layer_of_the_map_counts_the_whole_period_in_area_views(app):
    from webapp.params import store  # noqa: F401 - the app's store is reached below
    from webapp.selection import Selection

    data = app.extensions["hotspots_store"]
    with app.app_context():
        html = data.map_html(Selection(fy="2018-19", season="autumn", area="ward:Abbey"))
        borough = data.ward_layer(Selection(fy="2018-19", season="autumn"))
    counts = {str(k): int(v) for k, v in zip(borough["ward_name"], borough["incidents"])}
    assert min(counts.values()) > 0
    shown = {}  # every ward's own total is in the Abbey map's ward layer
    for text in re.findall(r'"properties": (\{[^{}]*"ward_label"[^{}]*\})', html):
        props = json.loads(text)
        shown[props["ward_label"]] = props["incidents"]
    assert shown == counts


# --------------------------------------------------------------------------- basemaps and tiles


def test_basemap_choices_and_their_errors(tmp_path):
    from hotspots._errors import HotspotsError
    from hotspots.draw.basemap import OSM_URL, resolve_basemap
    from tests._tiles import make_mbtiles

    assert resolve_basemap("none").enabled is False
    assert resolve_basemap("OSM").url == OSM_URL
    light = resolve_basemap("os-light", os_api_key="abc")
    assert "Light_3857" in light.url and light.url.endswith("key=abc")
    assert "Crown copyright" in light.attribution
    tiles = resolve_basemap(str(make_mbtiles(tmp_path / "t.mbtiles")))
    assert (tiles.kind, tiles.max_zoom, tiles.web_url()) == (
        "mbtiles",
        15,
        "/tiles/{z}/{x}/{y}.png",
    )
    for spec, message in [("https://t.example/{z}/{x}.png", "lacks {y}"),
                          ("https://t.example/{z}/{x}/{y}.png", "--basemap-attribution"),
                          (str(tmp_path / "missing.mbtiles"), "no such file"),
                          ("satellite", "not understood"), ("os-road", "--os-api-key")]:  # fmt: skip
        with pytest.raises(HotspotsError, match=re.escape(message)):
            resolve_basemap(spec)
    bad = tmp_path / "bad.mbtiles"
    bad.write_text("not sqlite", encoding="utf-8")
    with pytest.raises(HotspotsError, match="cannot be read"):
        resolve_basemap(str(bad))


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_the_app_serves_local_tiles_and_its_csp_allows_only_itself(make_app, tmp_path, kind):
    from tests._tiles import _xy, make_mbtiles, make_pmtiles, tile_png

    path = (make_mbtiles if kind == "mbtiles" else make_pmtiles)(tmp_path / f"t.{kind}")
    app = make_app(HOTSPOTS_BASEMAP=str(path))
    client = app.test_client()
    x, y = _xy(-1.94, 52.30, 14)
    hit = client.get(f"/tiles/14/{x}/{y}.png")
    assert hit.status_code == 200 and hit.mimetype == "image/png"
    assert hit.data == tile_png()
    miss = client.get("/tiles/12/0/0.png")  # in the zoom range, not in the file: transparent
    assert miss.status_code == 200 and miss.data != tile_png()
    assert client.get("/tiles/3/0/0.png").status_code == 404  # outside its zooms (issue 18)
    from PIL import Image

    assert Image.open(io.BytesIO(miss.data)).convert("RGBA").getpixel((0, 0))[3] == 0
    assert client.get(f"/tiles/14/{x}/{y}.jpg").status_code == 404
    frame = client.get("/map/frame?fy=2018-19&season=autumn").get_data(as_text=True)
    assert "/tiles/{z}/{x}/{y}.png" in frame and "Test tiles made by the test suite" in frame
    # the map never asks for a zoom the file lacks: below it the layer is off, above it scales
    assert "minZoom: 10, maxZoom: 19, maxNativeZoom: 15" in frame
    csp = client.get("/map").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp  # nothing outside the app


def test_osm_basemap_allows_its_tile_host_in_the_csp(make_app):
    app = make_app(HOTSPOTS_BASEMAP="osm")
    csp = app.test_client().get("/map").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in csp
    assert app.test_client().get("/tiles/14/1/1.png").status_code == 404  # no local file


def test_standalone_map_embeds_a_local_tile_file(tmp_path):
    from click.testing import CliRunner

    from hotspots.cli import main
    from tests._tiles import make_mbtiles

    tiles = make_mbtiles(tmp_path / "t.mbtiles", zooms=range(11, 14))
    out = tmp_path / "m.html"
    result = CliRunner().invoke(main, ["map", "--season", "autumn", "--fy", "2018-19",
                                       "--basemap", str(tiles), "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '"13/' in page and "data:image/png;base64," in page  # tiles travel in the file
    assert "/tiles/{z}/{x}/{y}" not in page and "Market Place / Unicorn Hill" in page


# --------------------------------------------------------------------------- real data


@pytest.mark.shared
def test_real_redditch_town_centre_hotspot_is_labelled_with_its_street(
    redditch_autumn_2018, shared_data, tmp_path
):
    """Redditch, autumn 2018: the map and the tasking sheet name Unicorn Hill or Market Place."""
    from click.testing import CliRunner
    from pypdf import PdfReader

    from hotspots.cli import main

    wards = shared_data / "wards" / "redditch.geojson"
    files = sorted(str(p) for p in (shared_data / "police-uk" / "west-mercia").glob("2018-1*.csv"))
    common = [*files, "--wards", str(wards), "--areas", "boundaries/redditch_focus_areas.toml",
              "--season", "autumn", "--fy", "2018-19"]  # fmt: skip
    runner = CliRunner()
    html_out, pdf_out = tmp_path / "map.html", tmp_path / "sheet.pdf"
    for args in (["map", *common, "-o", str(html_out)], ["tasking", *common, "-o", str(pdf_out)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    labels = re.findall(
        r"\\u003cdiv\\u003e(\d+ [^\\]+)\\u003c/div\\u003e", html_out.read_text("utf-8")
    )
    town = [t for t in labels if "Unicorn Hill" in t or "Market Place" in t]
    assert town, labels
    text = " ".join(p.extract_text() or "" for p in PdfReader(pdf_out).pages)
    assert any(t in " ".join(text.split()) for t in town), (town, text[:500])


def test_pages_have_a_favicon(client):
    page = client.get("/map?fy=2018-19&season=autumn").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
