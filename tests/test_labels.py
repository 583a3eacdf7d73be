"""One place label per hotspot, the same string in every output (issue 16).

For the demo and for the five real Redditch months (Oct 2018 to Feb 2019), each
hotspot's label ("2 Herbert Street / Wellington Street": rank and main
streets) is read from the public outputs only, never made here: ``/api/clusters``,
the hotspot table (``/clusters``), the web map (``/map/frame``), the standalone
map (``hotspots map``), the
tasking sheet's CSV and PDF (``hotspots tasking``) and the deck's "Where?"
text (``hotspots report``, whole years). They must agree string for string;
a police.uk place type ("Parking Area", "Supermarket", ...) is never a label
on its own.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from boundaries import get_path
from hotspots.analysis import labels as place_labels

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POLICE = SHARED / "police-uk" / "west-mercia"
REDDITCH_WARDS = SHARED / "wards" / "redditch.geojson"

#: (season or "all", financial year) of the demo checked.
DEMO_PERIODS = [("winter", "2018-19"), ("autumn", "2018-19"), ("all", "2018-19")]
#: The real months hold one financial year's autumn and winter.
REAL_PERIODS = [("all", "2018-19"), ("autumn", "2018-19"), ("winter", "2018-19")]


def _real_inputs() -> list[str]:
    return [str(p) for p in sorted(POLICE.glob("*-west-mercia-street.csv"))]


def _map_labels(page: str) -> list[str]:
    """The hotspot labels of a standalone map page (folium DivIcons of class hotspot-label)."""
    out = []
    icons = re.findall(r'L\.divIcon\(\{\s*"html": ("(?:[^"\\]|\\.)*"),.*?"className": "([^"]*)"',
                       page, flags=re.S)  # fmt: skip
    for text, cls in icons:
        if cls.split()[0] == "hotspot-label":
            inner = re.fullmatch(r"<div>(.*)</div>", json.loads(text), flags=re.S)
            out.append(html.unescape(inner.group(1)))
    return out


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


def _deck_where(path: Path) -> str:
    from pptx import Presentation

    prs = Presentation(str(path))
    slides = [s for s in prs.slides if s.shapes.title.text.startswith("Where?")]
    return "\n".join(s.text_frame.text for slide in slides for s in slide.shapes
                     if s.has_text_frame)  # fmt: skip


def _labels_everywhere(runner, client, args: list[str], season: str, fy: str, tmp_path) -> dict:
    """Each output's labels of one period's hotspots, whole study area."""
    query = f"fy={fy}&season={season}"
    out: dict[str, object] = {}
    doc = client.get(f"/api/clusters?{query}").get_json()
    out["api"] = [f["properties"]["label"] for f in doc["features"]]
    out["web map"] = _map_labels(client.get(f"/map/frame?{query}").get_data(as_text=True))
    page = client.get(f"/clusters?{query}").get_data(as_text=True)
    out["table"] = [html.unescape(v) for v in re.findall(r'<td class="label">([^<]*)</td>', page)]
    sel = ["--fy", fy] + (["--season", season] if season != "all" else [])
    stem = tmp_path / f"{season}-{fy}"
    for suffix in (".csv", ".pdf"):
        result = runner.run("tasking", *args, *sel, "-o", f"{stem}{suffix}")
        assert result.exit_code == 0, result.output
    out["tasking csv"] = pd.read_csv(f"{stem}.csv", keep_default_na=False)["label"].tolist()
    out["tasking pdf"] = _pdf_text(Path(f"{stem}.pdf"))
    result = runner.run("map", *args, *sel, "-o", f"{stem}.html")
    assert result.exit_code == 0, result.output
    out["map"] = _map_labels(Path(f"{stem}.html").read_text(encoding="utf-8"))
    if season == "all":
        result = runner.run("report", *args, "--fy", fy, "--dpi", "40", "-o", f"{stem}.pptx")
        assert result.exit_code == 0, result.output
        out["deck"] = _deck_where(Path(f"{stem}.pptx"))
    return out


def _check_same(found: dict) -> list[str]:
    labels = found["api"]
    assert labels, "no hotspot in this period: nothing to compare"
    assert [int(t.split()[0]) for t in labels] == list(range(1, len(labels) + 1)), labels
    assert found["table"] == labels
    assert found["tasking csv"] == labels
    assert sorted(found["map"]) == sorted(labels)
    assert sorted(found["web map"]) == sorted(labels)
    pdf = found["tasking pdf"]
    missing = [t for t in labels if t not in pdf]
    assert not missing, f"tasking PDF lacks {missing}"
    if "deck" in found:  # the three largest, each named by its label
        for label in labels[:3]:
            assert f"\n{label} (" in "\n" + found["deck"], (label, found["deck"])
    for label in labels:  # a place type never stands alone, and no "On or near"
        place = place_labels.place_of_label(label)
        assert place.lower() not in place_labels.PLACE_TYPES, label
        assert "On or near" not in label, label
    return labels


@pytest.mark.parametrize(("season", "fy"), DEMO_PERIODS)
def test_demo_labels_are_one_string_everywhere(runner, client, season, fy, tmp_path):
    labels = _check_same(_labels_everywhere(runner, client, [], season, fy, tmp_path))
    assert len(labels) >= 5


@pytest.fixture(scope="module")
def real_client(shared_data, make_app):
    app = make_app(HOTSPOTS_INPUTS=_real_inputs(), HOTSPOTS_WARDS=str(REDDITCH_WARDS),
                   HOTSPOTS_AREAS=str(get_path("redditch-focus-areas")))  # fmt: skip
    return app.test_client()


@pytest.mark.shared
@pytest.mark.parametrize(("season", "fy"), REAL_PERIODS)
def test_real_redditch_labels_are_one_string_everywhere(runner, real_client, season, fy,
                                                        tmp_path):  # fmt: skip
    args = [*_real_inputs(), "--wards", str(REDDITCH_WARDS),
            "--areas", str(get_path("redditch-focus-areas"))]  # fmt: skip
    labels = _check_same(_labels_everywhere(runner, real_client, args, season, fy, tmp_path))
    assert len(labels) >= 10
    if season == "all":
        # The case: the sheet's "On or near Parking Area" is the map's Herbert Street one.
        assert "2 Herbert Street / Wellington Street" in labels, labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_street_point_is_scipys_on_lattices_with_ties(seed):
    """The street nearest a place-type hotspot's map point: SciPy's k-d tree's distance, the
    first of equally near points, none at or beyond the bound; queries far off the grid too."""
    import numpy as np
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    for scale, line in ((10.0, False), (1000.0, False), (10.0, True)):
        targets = np.unique(rng.integers(0, 60, (300, 2)) * scale, axis=0)
        if line:
            targets = np.unique(targets * [1, 0], axis=0)  # every point on one line
        queries = rng.integers(-20, 80, (40, 2)) * scale + rng.choice([0, scale / 2], (40, 1))
        queries[0] = [1e7, -1e7]
        for bound in (np.inf, 3 * scale, 0.0):
            dist, idx = place_labels._nearest(targets, queries, bound)
            want, _ = cKDTree(targets).query(queries, distance_upper_bound=bound)
            np.testing.assert_array_equal(dist, want)
            found = np.isfinite(dist)
            assert (idx[~found] == len(targets)).all()
            every = np.hypot(*(queries[found, None, :] - targets[None, :, :]).transpose(2, 0, 1))
            nearest = every == every.min(axis=1, keepdims=True)
            assert (idx[found] == nearest.argmax(axis=1)).all()  # the first of equals


def test_street_points_one_name_per_map_point_alphabetically_first():
    """Each map point with a street once, sorted by easting then northing, with its
    alphabetically first street; place types, blanks and points without coordinates out."""
    import numpy as np

    near = pd.DataFrame({
        "x": [5.0, 1.0, 5.0, 1.0, 3.0, 5.0, np.nan, 1.0],
        "y": [0.0, 9.0, 0.0, 2.0, 3.0, 0.0, 1.0, 9.0],
        "name": ["Zeta Road", "Beta Lane", "Alpha Street", "Supermarket", "", "Alpha Street",
                 "Gamma Way", "Beta Lane"],
    })  # fmt: skip
    got = place_labels._street_points(near)
    assert got.values.tolist() == [[1.0, 9.0, "Beta Lane"], [5.0, 0.0, "Alpha Street"]]


@pytest.mark.parametrize("seed", range(3))
def test_xy_order_is_lexsort_by_x_then_y(seed):
    """Distinct points, many sharing an x (a lattice) or none: the order np.lexsort gives."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for scale in (3, 40, 10_000):
        pts = np.unique(rng.integers(0, scale, (400, 2)).astype(float), axis=0)
        pts = pts[rng.permutation(len(pts))]
        got = place_labels._xy_order(pts[:, 0], pts[:, 1])
        assert got.tolist() == np.lexsort((pts[:, 1], pts[:, 0])).tolist()
