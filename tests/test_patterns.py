"""Is a place getting worse? Place patterns, and where they are shown (map, tasking, report).

Tiny inputs checked by hand first (each class from incidents, the periods, what counts as hot),
then the demo: the tasking column, the map layer and the report slide agree with
``hotspots patterns`` and with an independent computation.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import Point, box

from hotspots._errors import HotspotsError
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.grid import study_grid
from hotspots.analysis.patterns import (
    PATTERNS,
    cell_index,
    hot_cells,
    pattern_counts,
    pattern_periods,
    patterns_at,
    periods_until,
    place_patterns,
    top_places,
)
from hotspots.analysis.seasons import add_season_columns
from hotspots.cli import main
from hotspots.draw import cartography as carto

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# A 1 km square borough and 100 m cells: cell i = column i % 10, row i // 10.
BOROUGH = gpd.GeoDataFrame({"ward_name": ["Only"]}, geometry=[box(0, 0, 1000, 1000)], crs=27700)
TINY = ClusterParams(eps_m=50, min_samples=3)
# Four seasons of 2018-19 in the order a financial year meets them; winter is the latest.
SEASONS_1819 = [("spring", "2018-05"), ("summer", "2018-07"), ("autumn", "2018-10"),
                ("winter", "2019-01")]  # fmt: skip
# Five places (at cell centres), hot (1) or not (0) in spring, summer, autumn, winter.
# T = 4, earlier half = spring and summer. Each expected class follows from the rules by hand.
SITES = {
    "persistent": ((150, 150), [1, 1, 1, 1]),   # hot in 4 of 4 >= 80%
    "emerging": ((450, 150), [0, 0, 0, 1]),     # hot in the latest, never in the earlier half
    "former": ((750, 150), [1, 0, 0, 0]),       # earlier half only
    "diminishing": ((150, 650), [1, 0, 1, 0]),  # earlier, not latest, but autumn (later half)
    "intermittent": ((650, 650), [0, 1, 0, 1]),  # hot in summer and winter: none of the above
}  # fmt: skip


def _cell(x: float, y: float) -> int:
    return int(y // 100) * 10 + int(x // 100)


def tiny_incidents(sites=SITES, per_site: int = 5) -> gpd.GeoDataFrame:
    """``per_site`` incidents on each site's point in each season it is hot, plus a stray one."""
    rows = []
    for name, ((x, y), flags) in sites.items():
        for (_season, month), hot in zip(SEASONS_1819, flags):
            rows += [(x, y, month, f"On or near {name.title()} Street")] * (per_site if hot else 0)
    for _, month in SEASONS_1819:  # one lone incident a season, never a hotspot
        rows.append((950, 950, month, "On or near Lone Lane"))
    frame = pd.DataFrame(rows, columns=["x", "y", "month", "location"])
    out = gpd.GeoDataFrame(
        {"month": frame["month"], "location": frame["location"], "ward": "Only",
         "date": pd.to_datetime(frame["month"] + "-01"), "date_precision": "month"},
        geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=27700,
    )  # fmt: skip
    return add_season_columns(out)


# --------------------------------------------------------------------------- rules, by hand


def test_each_class_from_tiny_incidents():
    cells = place_patterns(tiny_incidents(), BOROUGH, params=TINY, cell_m=100)
    assert cells.attrs["periods"] == [f"{s} 2018-19" for s, _ in SEASONS_1819]
    got = cells.set_index("cell")
    expected = {_cell(*xy): name for name, (xy, _) in SITES.items()}
    assert got["pattern"].to_dict() == expected  # and nothing else (the lone incident never hot)
    for name, ((x, y), flags) in SITES.items():
        row = got.loc[_cell(x, y)]
        assert row[cells.attrs["periods"]].astype(int).tolist() == flags
        assert row["periods_hot"] == sum(flags)
        assert row["incidents"] == 5 * sum(flags)
        assert row["street"] == f"{name.title()} Street"
        assert row["hot_in"] == ", ".join(p for p, f in zip(cells.attrs["periods"], flags) if f)
    assert cells.crs.to_epsg() == 27700 and cells.geometry.area.eq(100 * 100).all()


def test_the_periods_run_up_to_the_selection():
    inc = tiny_incidents()
    cells = place_patterns(inc, BOROUGH, params=TINY, cell_m=100, season="autumn",
                           financial_year="2018-19")  # fmt: skip
    # Three seasons; the earlier half is spring alone. By hand, on the first three flags:
    expected = {
        "persistent": "persistent",      # [1, 1, 1]: 100%
        "emerging": None,                # [0, 0, 0]: never hot, not a place
        "former": "former",              # [1, 0, 0]: spring only
        "diminishing": "intermittent",   # [1, 0, 1]: 67% < 80%, hot in the latest and before
        "intermittent": "intermittent",  # [0, 1, 0]: never in spring, not in the latest
    }  # fmt: skip
    got = cells.set_index("cell")["pattern"].to_dict()
    assert got == {_cell(*SITES[k][0]): v for k, v in expected.items() if v}
    assert cells.attrs["periods"][-1] == "autumn 2018-19"


def test_spring_holds_march_and_comes_first_in_its_year():
    t = add_season_columns(gpd.GeoDataFrame(
        {"date": pd.to_datetime(["2019-03-01", "2018-04-01", "2018-12-01", "2018-07-01"]),
         "date_precision": "month"}, geometry=[None] * 4))  # fmt: skip
    assert [label for label, _ in pattern_periods(t)] == [
        "spring 2018-19", "summer 2018-19", "winter 2018-19"]  # fmt: skip
    months = t.assign(month=t["date"].dt.strftime("%Y-%m"))
    assert pattern_periods(months, by="month")[0] == ("2018-04", "2018-04")
    with pytest.raises(HotspotsError, match="by must be one of"):
        pattern_periods(t, by="week")


def test_selection_errors_say_what_there_is():
    periods = [("autumn 2018-19", "autumn 2018-19"), ("winter 2018-19", "winter 2018-19")]
    with pytest.raises(HotspotsError, match=r"no period for 'spring 2018-19'.*autumn 2018-19"):
        periods_until(periods, season="spring", financial_year="2018-19")
    with pytest.raises(HotspotsError, match="two or more seasons"):
        place_patterns(tiny_incidents(), BOROUGH, params=TINY, cell_m=100, season="spring")


def test_hot_means_centre_in_an_outline_or_holding_the_busiest_point():
    grid = study_grid(BOROUGH, cell_m=100)
    found = gpd.GeoDataFrame(
        {"point_x": [530.0, 905.0], "point_y": [510.0, 905.0]},
        geometry=[box(420, 420, 580, 520),        # holds the centres (450, 450), (550, 450)
                  Point(905, 905).buffer(10)],    # too small for any centre
        crs=27700,
    )  # fmt: skip
    # Cells 44 and 45 by their centres; 55 holds the first busiest point (530, 510); 99 the second.
    assert hot_cells(grid, found).nonzero()[0].tolist() == [44, 45, 55, 99]
    assert not hot_cells(grid, found.iloc[:0]).any()


def test_a_place_under_a_point_and_the_summaries():
    cells = place_patterns(tiny_incidents(), BOROUGH, params=TINY, cell_m=100)
    at = patterns_at(cells, np.array([[150.0, 150.0], [960.0, 960.0], [5000.0, 0.0]]))
    assert at["pattern"].tolist() == ["persistent", "", ""]
    assert at["periods_hot"].tolist() == [4, 0, 0]
    assert cell_index(cells, np.array([[5000.0, 0.0]])).tolist() == [-1]
    counts = pattern_counts(cells).set_index("pattern")["places"]
    assert counts.to_dict() == {**dict.fromkeys(PATTERNS, 1), "Total": 5}
    best = top_places(cells, 2)
    assert best[["street", "pattern", "incidents"]].values.tolist() == [
        ["Persistent Street", "persistent", 20], ["Diminishing Street", "diminishing", 10]]  # fmt: skip


# --------------------------------------------------------------------------- colours


_MACHADO = {  # Machado, Oliveira & Fernandes (2009), severity 1.0, linear RGB
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
               [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
               [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
               [0.004733, 0.691367, 0.303900]],
}  # fmt: skip


def _lab(hex_colour: str, matrix) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(np.asarray(matrix) @ lin, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / [0.95047, 1.0, 1.08883]  # fmt: skip
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours: dict[str, str]) -> float:
    """The smallest CIE76 distance between two colours, in normal and simulated colour-blind vision."""
    worst = np.inf
    for matrix in [np.eye(3), *_MACHADO.values()]:
        labs = {k: _lab(v, matrix) for k, v in colours.items()}
        for a, b in itertools.combinations(labs, 2):
            worst = min(worst, float(np.linalg.norm(labs[a] - labs[b])))
    return worst


def test_pattern_colours_stay_apart_for_colour_blind_readers():
    assert set(carto.PATTERN_COLOURS) == set(PATTERNS)
    assert closest_pair(carto.PATTERN_COLOURS) >= 15
    # The check can fail: red and green, told apart by most, merge for a deuteranope.
    assert closest_pair({"a": "#d62728", "b": "#2ca02c", "c": "#0072B2"}) < 15
    rows = carto.pattern_legend_entries(["autumn 2017-18", "winter 2017-18", "autumn 2018-19"])
    fills = [r for r in rows if r.kind == "fill"]
    assert [r.colours[0] for r in fills] == [carto.PATTERN_COLOURS[r.label.split(":")[0]]
                                             for r in fills]  # fmt: skip
    assert len(fills) == len(PATTERNS)


def closest_across(these: dict[str, str], those) -> float:
    """The smallest CIE76 distance from a colour of ``these`` to one of ``those``, any vision."""
    return min(float(np.linalg.norm(_lab(a, m) - _lab(b, m)))
               for m in [np.eye(3), *_MACHADO.values()]
               for a in these.values() for b in those)  # fmt: skip


def test_pattern_colours_cannot_be_taken_for_hotspot_classes_and_the_legend_says_so():
    # The hotspot classes run yellow to red; no place pattern may look like one of them, for a
    # colour-blind reader either (the old orange and yellow squares did: 5.7 for a deuteranope).
    assert closest_across(carto.PATTERN_COLOURS, carto.HOTSPOT_COLOURS) >= 25
    assert closest_across({"old": "#D55E00"}, carto.HOTSPOT_COLOURS) < 25  # the check can fail
    rows = carto.pattern_legend_entries(["autumn 2017-18", "winter 2017-18", "autumn 2018-19"])
    notes = " ".join(r.label for r in rows if r.kind == "text")
    assert "never a hotspot" in notes and "yellow to red" in notes, notes


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def autumn(demo):
    """The demo's patterns up to autumn 2018-19, and that selection's tasking sheet."""
    from hotspots.outputs.tasking import tasking

    cells = place_patterns(demo.incidents, demo.wards, season="autumn", financial_year="2018-19")
    sheet, clusters = tasking(demo, season="autumn", financial_year="2018-19", patterns=cells)
    return cells, sheet, clusters


def test_demo_hot_flags_are_the_maps_hotspots_season_by_season(demo, autumn):
    from hotspots.analysis.hotspots import find_hotspots

    cells, _, _ = autumn
    grid = study_grid(demo.wards)
    centres = grid.centres()
    for label in cells.attrs["periods"][-2:]:  # the last two seasons, independently
        season, fy = label.split(" ")
        found = find_hotspots(demo, season=season, financial_year=fy).clusters
        hot = set(cells.loc[cells[label], "cell"])
        # Independently: cells whose centre is inside an outline, or that hold a busiest point.
        inside = shapely.contains_xy(found.geometry.union_all(), centres[:, 0], centres[:, 1])
        expected = set(np.flatnonzero(inside & grid.inside))
        expected |= {int((y - grid.y0) // grid.cell_m) * grid.nx + int((x - grid.x0) // grid.cell_m)
                     for x, y in zip(found["point_x"], found["point_y"])}  # fmt: skip
        assert hot == expected, label


def test_demo_tasking_pattern_is_the_cell_under_the_busiest_point(autumn):
    cells, sheet, clusters = autumn
    assert len(sheet) > 0 and sheet.attrs["pattern_periods"] == cells.attrs["periods"]
    by_cell = cells.set_index("cell")
    g = cells.attrs["grid"]
    t = len(cells.attrs["periods"])
    for row in sheet.itertuples():
        point = clusters.set_index("cluster_id").loc[row.cluster_id]
        cell = int((point["point_y"] - g["y0"]) // g["cell_m"]) * g["nx"] + int(
            (point["point_x"] - g["x0"]) // g["cell_m"])  # fmt: skip
        assert by_cell.loc[cell, "autumn 2018-19"]  # the selected season: always hot
        assert row.pattern == by_cell.loc[cell, "pattern"]
        assert row.pattern in ("persistent", "emerging", "intermittent")
        assert row.hot_periods == f"{by_cell.loc[cell, 'periods_hot']} of {t} seasons"


def test_tasking_without_two_seasons_leaves_the_column_blank(demo):
    from hotspots.outputs.tasking import tasking
    from hotspots.outputs.tasking_table import sheet_pattern_legend

    sheet, _ = tasking(demo, season="spring", financial_year="2017-18")  # the data's first season
    assert (sheet["pattern"] == "").all() and (sheet["hot_periods"] == "").all()
    assert "fewer than two seasons" in sheet_pattern_legend(sheet)


def test_demo_map_layer_matches_the_sheet(demo, autumn):
    from hotspots.draw.webmap import hotspot_map, pattern_features, ward_summary

    cells, sheet, clusters = autumn
    features = pattern_features(cells)["features"]
    # Dissolved shapes keep every cell: places add up per class.
    per_class = pd.Series([f["properties"]["places"] for f in features],
                          index=[f["properties"]["pattern"] for f in features])  # fmt: skip
    assert per_class.groupby(level=0).sum().to_dict() == cells["pattern"].value_counts().to_dict()
    shapes = gpd.GeoDataFrame([f["properties"] for f in features],
                              geometry=[shapely.geometry.shape(f["geometry"]) for f in features],
                              crs=4326)  # fmt: skip
    pins = gpd.GeoDataFrame(sheet[["pattern"]], geometry=gpd.points_from_xy(sheet["lon"], sheet["lat"]),
                            crs=4326)  # fmt: skip
    hit = gpd.sjoin(pins, shapes, predicate="within")
    assert (hit["pattern_left"] == hit["pattern_right"]).all() and len(hit) == len(sheet)
    html = hotspot_map(ward_summary(demo.incidents, demo.wards), clusters, demo.incidents.iloc[:50],
                       patterns=cells).get_root().render()  # fmt: skip
    assert carto.PATTERN_LAYER in html and "pattern-cell" in html
    for name, colour in carto.PATTERN_COLOURS.items():
        assert f"{name}: " in html and colour in html


def test_patterns_cli_and_report_slide_agree(tmp_path):
    from pptx import Presentation

    from hotspots.outputs.deck import TITLES

    out = tmp_path / "patterns.csv"
    result = CliRunner().invoke(
        main, ["patterns", "--fy", "2018-19", "--top", "10", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, keep_default_na=False)
    deck = tmp_path / "panel.pptx"
    made = CliRunner().invoke(main, ["report", "--fy", "2018-19", "--dpi", "40", "-o", str(deck)])
    assert made.exit_code == 0, made.output
    prs = Presentation(str(deck))
    slide = next(s for s in prs.slides if s.shapes.title.text == TITLES["patterns"])
    grids = [[[shape.table.cell(i, j).text for j in range(len(shape.table.columns))]
              for i in range(len(shape.table.rows))] for shape in slide.shapes if shape.has_table]  # fmt: skip
    counts, places = grids
    # Independently from the command's CSV: places per class, and the busiest streets.
    expected = table["pattern"].value_counts()
    assert {r[0]: int(r[1].replace(",", "")) for r in counts[1:-1]} == {
        p: int(expected.get(p, 0)) for p in PATTERNS}  # fmt: skip
    assert counts[-1] == ["Total", f"{len(table):,}"]
    named = table[table["street"] != ""]
    busiest = (named.groupby(["street", "ward", "pattern"])["incidents"].agg(["sum", "size"])
               .sort_values("sum", ascending=False))  # fmt: skip
    assert places[0][:3] == ["Street", "Ward", "Pattern"]
    first = places[1]
    assert int(first[5].replace(",", "")) == busiest["sum"].iloc[0]
    assert (first[0], first[1], first[2]) in busiest.index[busiest["sum"] == busiest["sum"].iloc[0]]
    assert int(first[3]) == busiest.loc[(first[0], first[1], first[2]), "size"]
    assert f"{len(table)} places" in result.output.replace(",", "")


def test_tasking_downloads_and_page_carry_the_pattern(demo, client):
    query = "fy=2018-19&season=autumn&area=borough"
    rows = list(csv.DictReader(io.StringIO(client.get(f"/tasking.csv?{query}").get_data(True))))
    cells = place_patterns(demo.incidents, demo.wards, season="autumn", financial_year="2018-19")
    xy = gpd.GeoSeries(gpd.points_from_xy([float(r["lon"]) for r in rows],
                                          [float(r["lat"]) for r in rows]), crs=4326).to_crs(27700)  # fmt: skip
    expected = patterns_at(cells, np.column_stack([xy.x, xy.y]))["pattern"].tolist()
    assert rows and [r["pattern"] for r in rows] == expected
    page = client.get(f"/tasking?{query}").get_data(True)
    assert '<th scope="col">Pattern</th>' in page and f"{expected[0]} (" in page
    doc = json.loads(client.get(f"/tasking.geojson?{query}").get_data(True))
    assert [f["properties"]["pattern"] for f in doc["features"]] == expected
    frame = client.get(f"/map/frame?{query}").get_data(True)
    assert carto.PATTERN_LAYER in frame and "/api/patterns?fy=2018-19" in frame  # fetched when on
    layer = json.loads(client.get(f"/api/patterns?{query}").get_data(True))
    per_class = pd.Series([f["properties"]["places"] for f in layer["features"]],
                          index=[f["properties"]["pattern"] for f in layer["features"]])  # fmt: skip
    assert per_class.groupby(level=0).sum().to_dict() == cells["pattern"].value_counts().to_dict()
    assert layer["periods"] == cells.attrs["periods"] and "Open Government" in layer["attribution"]
    first = json.loads(client.get("/api/patterns?fy=2017-18&season=spring").get_data(True))
    assert first["features"] == [] and first["periods"] == []  # one season: nothing to classify


def test_tasking_pdf_page_has_the_pattern_column(demo, autumn, tmp_path):
    import pypdfium2 as pdfium

    from hotspots.outputs.tasking import write_sheet

    _, sheet, clusters = autumn
    path = write_sheet(sheet, tmp_path / "sheet.pdf", clusters=clusters, wards=demo.wards,
                       title="Autumn 2018-19", note="Demo.", areas=demo.areas, demo=True)  # fmt: skip
    doc = pdfium.PdfDocument(str(path))
    text = " ".join(doc[0].get_textpage().get_text_range().split())  # wherever lines wrap
    assert "Pattern" in text and "grid cell holding its busiest map point" in text
    first = sheet[sheet["area"] == sheet["area"].iloc[0]].iloc[0]
    assert f"{first['pattern']} {first['hot_periods'].split(' ')[0]}/" in text
    ARTIFACTS.mkdir(exist_ok=True)
    doc[0].render(scale=1.5).to_pil().save(ARTIFACTS / "tasking_patterns_page1.png")
    doc.close()


def test_report_slide_renders(tmp_path):
    import pypdfium2 as pdfium

    from hotspots.outputs.deck import TITLES

    out = tmp_path / "panel.pdf"
    made = CliRunner().invoke(main, ["report", "--fy", "2018-19", "--dpi", "40", "-o", str(out)])
    assert made.exit_code == 0, made.output
    doc = pdfium.PdfDocument(str(out))
    pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    index = next(i for i, t in enumerate(pages) if TITLES["patterns"] in t)
    assert "places were hotspots" in pages[index] and "Unicorn Hill" in pages[index]
    ARTIFACTS.mkdir(exist_ok=True)
    doc[index].render(scale=1.2).to_pil().save(ARTIFACTS / "report_patterns_slide.png")
    doc.close()
