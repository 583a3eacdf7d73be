"""The chance test marked alike in every output, and one `hotspots tasking` run's cost (issue 16).

On the demo's winter 2018-19 at ``min_samples`` 4 (at the automatic setting every demo
hotspot is more than chance under the even-spread model) the web map (``/map/frame``: its
hull features' ``_chance``, which the dashed style reads) marks some hotspots "not more than
chance"; the static map (dashed, paler outlines), the
tasking PDF (its table and its map) and the deck (its "Where?" text and map)
must mark exactly those, in the same words. Which ones is read from the web
app, never written here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from hotspots.analysis import cluster, significance, summaries
from hotspots.draw import cartography as carto

WINTER = "fy=2018-19&season=winter"
MIN_SAMPLES = 4
NOT, YES = carto.CHANCE_WORDS[False], carto.CHANCE_WORDS[True]


@pytest.fixture(scope="module")
def web_verdicts(make_app) -> dict[int, bool]:
    """``cluster_id`` -> significant, as the web map draws them (its hull features)."""
    app = make_app(HOTSPOTS_MIN_SAMPLES=MIN_SAMPLES)
    page = app.test_client().get(f"/map/frame?{WINTER}").get_data(as_text=True)
    found = {}
    for blob in re.findall(r"_add\((\{\"features\".*?\})\);", page, flags=re.S):
        doc = json.loads(blob)
        for f in doc["features"]:
            props = f["properties"]
            if "_fill" in props and "cluster_id" in props and "incidents" in props:
                found[int(props["cluster_id"])] = props.get("_chance") != "chance"
    assert found, "no hotspot features in the web map"
    return found


@pytest.fixture(scope="module")
def winter(demo):
    from hotspots.analysis.cluster import ClusterParams
    from hotspots.results import Period, analyse_period

    return analyse_period(demo, Period("winter", "2018-19"),
                          params=ClusterParams(min_samples=MIN_SAMPLES))  # fmt: skip


def test_the_web_map_marks_some_hotspots_not_more_than_chance(web_verdicts):
    weak = [c for c, sig in web_verdicts.items() if not sig]
    assert 1 <= len(weak) < len(web_verdicts)
    assert web_verdicts[1] is True


def test_static_map_dashes_exactly_the_web_maps_chance_hotspots(demo, winter, web_verdicts):
    from matplotlib.collections import PolyCollection

    from hotspots.draw.static import MapStyle, map_figure

    hotspots = winter.hotspots
    assert dict(zip(hotspots["cluster_id"], hotspots["significant"])) == web_verdicts
    fig = map_figure(hotspots, demo.wards, title="t", note="n", style=MapStyle(dpi=50))
    [hulls] = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    dashed = {i for i, (_, dash) in enumerate(hulls.get_linestyles()) if dash is not None}
    faces = hulls.get_facecolors()
    rings = [tuple(np.round(p.vertices[0], 1)) for p in hulls.get_paths()]
    weak = [c for c, sig in web_verdicts.items() if not sig]
    exteriors = {c: tuple(np.round(g.exterior.coords[0], 1))
                 for c, g in zip(hotspots["cluster_id"], hotspots.geometry)}  # fmt: skip
    assert {rings[i] for i in dashed} == {exteriors[c] for c in weak}
    assert all(faces[i][3] < 0.5 for i in dashed)  # paler: the class colour, mostly transparent
    assert all(faces[i][3] == 1 for i in range(len(rings)) if i not in dashed)
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert f"{NOT} (q > 0.05)" in legend.replace("\n", " ") and "Chance test" in legend


def _pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages]


def test_tasking_pdf_marks_the_web_maps_chance_hotspots(runner, web_verdicts, tmp_path):
    out = tmp_path / "winter.pdf"
    ms = ("--min-samples", str(MIN_SAMPLES))
    result = runner.run("tasking", "--season", "winter", "--fy", "2018-19", *ms, "-o", str(out))
    assert result.exit_code == 0, result.output
    csv = tmp_path / "winter.csv"
    assert runner.run("tasking", "--season", "winter", "--fy", "2018-19", *ms,
                      "-o", str(csv)).exit_code == 0  # fmt: skip
    import pandas as pd

    sheet = pd.read_csv(csv)
    labels = dict(zip(sheet["cluster_id"], sheet["label"]))
    assert "not significant" not in " ".join(_pages(out))
    for text in _pages(out):  # one page per focus area: its rows, its map, its two legends
        here = [c for c, label in labels.items() if label in text]
        weak = [c for c in here if not web_verdicts[c]]
        assert text.count(NOT) == len(weak) + 2, (here, text)  # + map legend, + the legend line
        assert text.count(YES) - text.count(NOT) == len(here) - len(weak) + 2
    weak = [c for c, sig in web_verdicts.items() if not sig]
    assert all(any(labels[c] in t and NOT in t for t in _pages(out)) for c in weak)


def test_deck_marks_the_web_maps_chance_hotspots(demo, winter, web_verdicts, monkeypatch):
    from hotspots.draw import static
    from hotspots.outputs.deck import build_deck

    drawn = []
    draw_map = static.draw_map

    def spy(ax, clusters, *args, **kwargs):
        drawn.append(dict(zip(clusters["cluster_id"], clusters["significant"])))
        return draw_map(ax, clusters, *args, **kwargs)

    monkeypatch.setattr(static, "draw_map", spy)
    # The deck draws the answer it is given: here the winter's (the web map's period).
    from hotspots.analysis.cluster import ClusterParams

    deck = build_deck(demo, financial_year="2018-19", demo=True, dpi=40, result=winter,
                      params=ClusterParams(min_samples=MIN_SAMPLES))  # fmt: skip
    assert web_verdicts in drawn  # its map gets the verdicts to dash (and its inset some)
    where = [s for s in deck.slides if s.title.startswith("Where?")]
    text = " ".join(line for s in where for line in s.lines)
    weak = [winter.hotspots.set_index("cluster_id").loc[c, "label"]
            for c, sig in web_verdicts.items() if not sig]  # fmt: skip
    assert (
        f"{NOT.capitalize()} (dashed on the map; check before sending patrols): "
        f"{', '.join(weak)}." in text
    )


@pytest.mark.parametrize("view", [("--ward", "Abbey"), ()], ids=["ward", "borough"])
def test_one_tasking_run_clusters_each_period_once_and_tests_once(
    runner, monkeypatch, tmp_path, view
):
    """DBSCAN once for the sheet's period (and once per other season of its Pattern column)."""
    inputs: Counter = Counter()
    tests = []
    dbscan, test = cluster.dbscan_labels, significance.cluster_significance

    def counted_dbscan(xy, *args, **kwargs):
        xy = np.asarray(xy)
        inputs[(len(xy), float(np.round(xy.sum(), 1)))] += 1
        return dbscan(xy, *args, **kwargs)

    def counted_test(*args, **kwargs):
        tests.append(1)
        return test(*args, **kwargs)

    monkeypatch.setattr(cluster, "dbscan_labels", counted_dbscan)
    monkeypatch.setattr(summaries, "dbscan_labels", counted_dbscan)  # find_clusters
    monkeypatch.setattr(significance, "cluster_significance", counted_test)
    out = tmp_path / "sheet.csv"
    result = runner.run("tasking", "--season", "winter", "--fy", "2018-19", *view, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert len(tests) == 1
    from hotspots.loader import DataSpec, load

    incidents = load(DataSpec()).incidents

    def key(season: str) -> tuple:
        rows = incidents[(incidents["season"] == season)
                         & (incidents["financial_year"] == "2018-19")]  # fmt: skip
        xy = np.column_stack([rows.geometry.x, rows.geometry.y])
        return (len(xy), float(np.round(xy.sum(), 1)))

    assert inputs.pop(key("winter")) == 1  # the sheet's period: once (the chance test reuses it)
    # The previous season, autumn 2018-19: once for the Pattern column and the accuracy
    # sentence ("hotspots drawn from autumn 2018 held ...") alike (PeriodResult.previous).
    assert inputs.pop(key("autumn")) == 1
    assert inputs and set(inputs.values()) == {1}, inputs  # every other season once


def test_one_whole_year_tasking_run_clusters_every_period_once(runner, monkeypatch, tmp_path):
    """A year's sheet: the year once, each season of its Pattern column once, the year before once."""
    inputs: Counter = Counter()
    tests = []
    dbscan, test = cluster.dbscan_labels, significance.cluster_significance

    def counted_dbscan(xy, *args, **kwargs):
        xy = np.asarray(xy)
        inputs[(len(xy), float(np.round(xy.sum(), 1)))] += 1
        return dbscan(xy, *args, **kwargs)

    monkeypatch.setattr(cluster, "dbscan_labels", counted_dbscan)
    monkeypatch.setattr(summaries, "dbscan_labels", counted_dbscan)  # find_clusters
    monkeypatch.setattr(significance, "cluster_significance",
                        lambda *a, **k: tests.append(1) or test(*a, **k))  # fmt: skip
    result = runner.run("tasking", "--fy", "2018-19", "-o", str(tmp_path / "year.csv"))
    assert result.exit_code == 0, result.output
    assert len(tests) == 1
    assert len(inputs) >= 9 and set(inputs.values()) == {1}, inputs  # 8 seasons, 2 years
