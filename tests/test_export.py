"""Static maps, tasking sheet files, batch export (manifest, never partial) and the report pack."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from boundaries import get_path
from hotspots import io
from hotspots._errors import HotspotsError
from hotspots.analysis import labels as place_labels
from hotspots.draw import cartography as carto
from hotspots.draw import static
from hotspots.draw.static import MapStyle, WardLayer, map_figure, render_map
from hotspots.io import ATTRIBUTION
from hotspots.outputs import export
from hotspots.outputs.export import PACK, plan_batch, run_batch
from hotspots.outputs.tasking import tasking, write_sheet
from tests._tiles import ATTRIBUTION as TILES_ATTRIBUTION
from tests._tiles import TILE_RGB, make_mbtiles, make_pmtiles, tile_png

LOW = MapStyle(dpi=40, size_in=(6.0, 4.5))


@pytest.fixture(scope="module")
def autumn(demo):
    return tasking(demo, season="autumn", financial_year="2018-19")


def _pdf_text(path) -> str:
    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


def test_each_map_format_is_a_valid_file_of_its_size(demo, autumn, tmp_path):
    _, clusters = autumn
    paths = render_map(
        clusters,
        demo.wards,
        [tmp_path / "m.png", tmp_path / "m.svg", tmp_path / "m.pdf"],
        title="ASB hotspots: test",
        note="Data: test.",
        style=LOW,
        demo=True,
    )
    png, svg, pdf = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as im:
        assert im.size == (240, 180)  # 6 x 4.5 in at 40 dpi
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert root.get("width") == "432pt" and root.get("height") == "324pt"
    text = svg.read_text(encoding="utf-8")
    assert "Contains public sector information" in text and "approximate" in text
    assert pdf.read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (432, 324)
    assert "Open Government Licence" in _pdf_text(pdf)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_hull_colours_appear_on_the_png(demo, autumn, tmp_path):
    """Each hotspot's cartography class colour fills pixels; an empty map has none of them."""
    _, clusters = autumn
    abbey = clusters[clusters["ward"] == "Abbey"]
    assert len(abbey) >= 1
    extent = tuple(abbey.total_bounds + np.array([-300, -300, 300, 300]))
    style = MapStyle(dpi=60)
    [full] = render_map(clusters, demo.wards, [tmp_path / "a.png"], title="t", note="n",
                        extent=extent, style=style)  # fmt: skip
    [empty] = render_map(clusters.iloc[:0], demo.wards, [tmp_path / "b.png"], title="t",
                         note="n", extent=extent, style=style)  # fmt: skip
    classes = carto.hotspot_classes(clusters)
    expected = {int(n): _rgb(classes.colour(n)) for n in abbey["incidents"]}
    pixels = np.asarray(Image.open(full).convert("RGB"), dtype=float)
    blank = np.asarray(Image.open(empty).convert("RGB"), dtype=float)
    # The legend shows every class swatch: look at the map's own area only.
    width = pixels.shape[1]
    pixels, blank = pixels[:, : int(width * 0.79)], blank[:, : int(width * 0.79)]
    for n, rgb in expected.items():
        near = (np.abs(pixels - rgb).max(axis=2) <= 3).sum()
        assert near >= 50, f"hotspot of {n} incidents: colour {rgb} on {near} pixels"
        assert (np.abs(blank - rgb).max(axis=2) <= 3).sum() == 0


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def test_map_with_no_hotspots_says_so(demo, tmp_path):
    empty = demo.incidents.iloc[:0]
    import geopandas as gpd

    clusters = gpd.GeoDataFrame({"incidents": []}, geometry=empty.geometry, crs=27700)
    fig = map_figure(clusters, WardLayer.of(demo.wards), title="t", note="n", style=LOW)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "No hotspots in this selection" in texts


def test_bad_map_format_and_style_are_explained(demo, autumn, tmp_path):
    with pytest.raises(HotspotsError, match="png"):
        render_map(autumn[1], demo.wards, [tmp_path / "m.jpg"], title="t", note="n", style=LOW)
    with pytest.raises(HotspotsError, match="basemap-attribution"):
        MapStyle(basemap="https://tiles.example/{z}/{x}/{y}.png")
    with pytest.raises(HotspotsError, match="not understood"):
        MapStyle(basemap="satellite")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_static_map_draws_local_tiles_under_the_hotspots(demo, autumn, tmp_path, kind):
    """Tiles from a local file fill the map's background; the attribution names them."""
    maker = make_mbtiles if kind == "mbtiles" else make_pmtiles
    tiles = maker(tmp_path / f"t.{kind}")
    _, clusters = autumn
    extent = tuple(clusters.iloc[:1].total_bounds + np.array([-400, -400, 400, 400]))
    style = MapStyle(dpi=60, basemap=str(tiles))
    [with_tiles] = render_map(clusters, demo.wards, [tmp_path / "a.png"], title="t", note="n",
                              extent=extent, style=style)  # fmt: skip
    [without] = render_map(clusters, demo.wards, [tmp_path / "b.png"], title="t", note="n",
                           extent=extent, style=MapStyle(dpi=60))  # fmt: skip
    tile_rgb = np.array(TILE_RGB, dtype=float)
    on = np.asarray(Image.open(with_tiles).convert("RGB"), dtype=float)
    off = np.asarray(Image.open(without).convert("RGB"), dtype=float)
    green_on = (np.abs(on - tile_rgb).max(axis=2) <= 4).mean()
    green_off = (np.abs(off - tile_rgb).max(axis=2) <= 4).mean()
    assert green_on > 0.3, f"only {green_on:.0%} of the map shows the tiles"
    assert green_off == 0
    fig = map_figure(clusters, demo.wards, title="t", note="n", extent=extent, style=style)
    assert any(TILES_ATTRIBUTION in t.get_text() for t in fig.texts)


def test_static_map_fetches_url_tiles_through_the_getter(demo, autumn, monkeypatch):
    """A tile server basemap asks for z/x/y tiles covering the map (network stubbed)."""
    from hotspots.draw import basemap as bm

    asked = []
    monkeypatch.setattr(bm, "_fetch_url", lambda template: lambda z, x, y: asked.append(
        (z, x, y)) or tile_png())  # fmt: skip
    style = MapStyle(dpi=40, size_in=(6.0, 4.5), basemap="osm")
    fig = map_figure(autumn[1], demo.wards, title="t", note="n", style=style)
    assert asked and len({z for z, _, _ in asked}) == 1
    assert any("OpenStreetMap contributors" in t.get_text() for t in fig.texts)


def test_roads_and_hotspot_labels_on_static_maps(demo, autumn):
    """With the demo roads, street names are drawn; hotspots are labelled 'rank street'."""
    _, clusters = autumn
    first = clusters.iloc[:1]
    extent = tuple(first.total_bounds + np.array([-300, -300, 300, 300]))
    style = MapStyle(dpi=40, roads=str(get_path("demo-roads")))
    fig = map_figure(clusters, demo.wards, title="t", note="n", extent=extent, style=style)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"Unicorn Hill", "Market Place"} <= set(texts), texts
    street = place_labels.main_street(first["top_locations"].iloc[0])
    assert f"1 {street}" in texts
    assert "Unicorn Hill" in street or "Market Place" in street


# --------------------------------------------------------------------------- tasking sheet files


def test_sheet_files(demo, autumn, tmp_path):
    sheet, clusters = autumn
    kw = {"clusters": clusters, "wards": demo.wards, "title": "Autumn sheet",
          "note": "Data: demo, Sep 2018 to Nov 2018.", "areas": demo.areas, "demo": True}  # fmt: skip
    pdf = write_sheet(sheet, tmp_path / "s.pdf", **kw)
    reader = PdfReader(pdf)
    areas = [a for a in dict.fromkeys(sheet["area"]) if a]
    pages = len(areas) + (1 if (sheet["area"] == "").any() else 0)
    assert len(reader.pages) == pages  # one page per focus area (few hotspots each)
    text = _pdf_text(pdf)
    for place in sheet["place"]:
        assert place in text
    assert "Open Government Licence" in text and "approximate" in text
    one = write_sheet(sheet[sheet["area"] == "Woodrow"], tmp_path / "w.pdf", area="Woodrow", **kw)
    assert len(PdfReader(one).pages) == 1

    page = write_sheet(sheet, tmp_path / "s.html", **kw).read_text(encoding="utf-8")
    assert page.count("<tr>") == len(sheet) + len(areas) + (1 if (sheet["area"] == "").any() else 0)
    assert sheet.loc[0, "place"] in page and "Open Government Licence" in page

    import pandas as pd

    table = pd.read_csv(write_sheet(sheet, tmp_path / "s.csv", **kw))
    for col in ("rank", "place", "ward", "area", "incidents", "share_pct", "trend", "peak_months"):
        assert col in table.columns
    assert table["rank"].tolist() == list(range(1, len(sheet) + 1))

    doc = json.loads(write_sheet(sheet, tmp_path / "s.geojson", **kw).read_text())
    assert len(doc["features"]) == len(sheet)
    assert {f["geometry"]["type"] for f in doc["features"]} == {"Point"}
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert abs(lon - (-1.94)) < 0.05 and abs(lat - 52.3) < 0.05
    assert doc["attribution"] == ATTRIBUTION

    with pytest.raises(HotspotsError, match=r"\.pdf"):
        write_sheet(sheet, tmp_path / "s.docx", **kw)


# --------------------------------------------------------------------------- batches


def test_plan_batch_names_and_errors(demo):
    combos = plan_batch(demo, by=["season", "fy", "area"], seasons=["autumn"])
    names = [c.stem for c in combos]
    assert "autumn_2018-19_town-centre" in names
    assert len(names) == 2 * len(demo.areas) == len(set(names))
    assert [c.stem for c in plan_batch(demo, by=["fy"])] == ["2017-18", "2018-19"]
    with pytest.raises(HotspotsError, match="season"):
        plan_batch(demo, by=["colour"])
    with pytest.raises(HotspotsError, match="2016-17"):
        plan_batch(demo, by=["fy"], financial_years=["2016-17"])
    no_areas = type(demo)(demo.incidents, demo.outside, demo.load, demo.wards, None)
    with pytest.raises(HotspotsError, match="--areas"):
        plan_batch(no_areas, by=["area"])


def test_batch_writes_every_format_index_and_pack(demo, tmp_path):
    out = tmp_path / "out"
    result = run_batch(demo, out, by=["season", "fy"], seasons=["autumn"],
                       formats=["png", "svg", "pdf"], style=LOW)  # fmt: skip
    stems = ["autumn_2017-18", "autumn_2018-19"]
    for stem in stems:
        assert (out / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
        assert ET.parse(out / f"{stem}.svg").getroot().tag.endswith("svg")
        assert len(PdfReader(out / f"{stem}.pdf").pages) == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    for stem in stems:
        assert f"src='{stem}.png'" in index
    assert ATTRIBUTION in index.replace("&#x27;", "'") or "Open Government Licence" in index
    pack = PdfReader(out / PACK)
    # ward table, seasonal profile, top-hotspot table, then one page per map
    assert len(pack.pages) == 3 + len(stems)
    text = _pdf_text(out / PACK)
    from hotspots.analysis.wards import ward_table

    table = ward_table(demo.incidents, demo.wards)
    for row in table.itertuples(index=False):
        assert row.ward in text
        assert str(row[1]) in text and str(row[2]) in text
    assert "Grand Total" in text and "Seasonal profile" in text and "Top hotspots" in text
    assert "Market Place / Unicorn Hill" in text and "On or near" not in text  # the one label
    assert "Ward boundaries: wards of unknown date" in text  # the table's vintage note
    assert len(result.written) == 3 * len(stems) + 2


def test_rerun_skips_up_to_date_files_and_force_redoes_them(demo, tmp_path):
    out = tmp_path / "out"
    kw = {"by": ["season", "fy"], "seasons": ["winter"], "style": LOW, "inputs_key": "a"}
    first = run_batch(demo, out, **kw)
    stamp = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = run_batch(demo, out, **kw)
    assert [p.name for p in again.written] == ["index.html"]
    assert sorted(p.name for p in again.skipped) == sorted(
        p.name for p in first.written if p.name != "index.html"
    )
    assert (out / "winter_2018-19.png").stat().st_mtime_ns == stamp["winter_2018-19.png"]
    changed = run_batch(demo, out, **{**kw, "inputs_key": "b"})  # the inputs changed
    assert {p.name for p in changed.written} >= {"winter_2018-19.png", PACK}
    forced = run_batch(demo, out, **kw, force=True)
    assert not forced.skipped and len(forced.written) == len(first.written)


def test_failure_mid_batch_leaves_finished_files_and_no_partial_one(demo, tmp_path, monkeypatch):
    out = tmp_path / "out"
    kw = {"by": ["season", "fy"], "financial_years": ["2018-19"], "style": LOW}
    real = static.save_figure
    calls = []

    def flaky(fig, path, **k):
        calls.append(path)
        if len(calls) == 3:
            # Fail while the file is half-written, as a full disk or a crash would.
            with io.atomic_path(path) as tmp:
                tmp.write_bytes(b"\x89PNG truncated")
                raise OSError("disk full")
        return real(fig, path, **k)

    monkeypatch.setattr(export, "save_figure", flaky)
    with pytest.raises(OSError, match="disk full"):
        run_batch(demo, out, **kw)
    finished = sorted(p.name for p in out.iterdir())
    assert finished == ["manifest.json", "spring_2018-19.png", "summer_2018-19.png"]
    for name in finished[1:]:
        with Image.open(out / name) as im:
            im.verify()
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"spring_2018-19.png", "summer_2018-19.png"} <= set(manifest)
    monkeypatch.setattr(export, "save_figure", real)
    rest = run_batch(demo, out, **kw)
    assert sorted(p.name for p in rest.written) == sorted(
        ["autumn_2018-19.png", "winter_2018-19.png", PACK, "index.html"]
    )
    assert {p.name for p in rest.skipped} == {"spring_2018-19.png", "summer_2018-19.png"}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_tasking_sheet_page_has_streets_labels_and_a_legend(demo, autumn):
    """The first tasking page, as an officer gets it; kept as tests/artifacts/tasking-sheet.png."""
    from pathlib import Path

    from hotspots.draw.static import save_figure
    from hotspots.outputs.tasking_pages import sheet_figures

    sheet, clusters = autumn
    style = MapStyle(dpi=110, roads=str(get_path("demo-roads")))
    fig = next(sheet_figures(sheet, clusters, demo.wards, title="Tasking: autumn 2018-19",
                             note="Data: demo.", areas=demo.areas, demo=True, style=style))  # fmt: skip
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "1 Market Place / Unicorn Hill" in texts  # rank and main street
    assert {"Unicorn Hill", "Market Place"} <= set(texts)  # street names from the roads layer
    assert "Town centre" in texts  # the centre is named on the map
    # A whole-borough sheet's page says whose hotspots it lists.
    assert "Tasking: autumn 2018-19 - page: hotspots in Town centre" in [
        t.get_text() for t in fig.texts
    ]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Hotspots: incidents" in legend and "Town and district centres" in legend
    assert any(label.startswith(carto.hotspot_classes(clusters).labels[-1]) for label in legend)
    artifacts = Path(__file__).resolve().parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    png = save_figure(fig, artifacts / "tasking-sheet.png")
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=float)
    strongest = _rgb(carto.HOTSPOT_COLOURS[-1])
    assert (np.abs(pixels - strongest).max(axis=2) <= 2).sum() > 500  # the town-centre hull
