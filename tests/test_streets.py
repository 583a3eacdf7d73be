"""Streets for a real area: ``fetch streets`` (osmnx against a local Overpass), ``.osm.pbf``.

The Overpass server here is a local HTTP server on 127.0.0.1 that answers as
Overpass does: ``/api/status`` (the slots text osmnx and we read) and
``/api/interpreter`` (a POSTed ``data=`` query; a JSON answer of nodes and
ways inside the query's ``poly:``). The streets it serves are made here: the
demo's made-up streets, each renamed "Osm <name>", so a name on a map can only
have come from this answer. Never the live service.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from boundaries import get_path
from hotspots.read.fetch import OSM_ATTRIBUTION, FetchError, fetch_streets
from hotspots.read.roads import read_roads, roads_attribution
from tests._postgis import _free_port

#: Overpass's /status text when a slot is free (the 5th line is what osmnx parses).
STATUS = ("Connected as: 1\nCurrent time: 2026-12-07T08:00:00Z\nAnnounced endpoint: none\n"
          "Rate limit: 2\n2 slots available now.\nCurrently running queries (pid, space limit, "
          "time limit, start time):\n")  # fmt: skip


def street_elements() -> list[dict]:
    """Overpass JSON elements: every demo street as a way named "Osm <name>", and decoys.

    Decoys: an unnamed service road (dropped: no name), and a named street far
    outside the study area (the server leaves it out, as Overpass would).
    """
    roads = gpd.read_file(get_path("demo-roads")).to_crs(4326)
    nodes: dict[tuple[float, float], int] = {}
    elements: list[dict] = []

    def node_ids(coords) -> list[int]:
        ids = []
        for lon, lat in coords:
            key = (round(lat, 7), round(lon, 7))
            if key not in nodes:
                nodes[key] = len(nodes) + 1
            ids.append(nodes[key])
        return ids

    for i, (name, kind, geom) in enumerate(zip(roads["name"], roads["kind"], roads.geometry)):
        highway = "primary" if kind == "main" else "residential"
        elements.append({"type": "way", "id": 1000 + i, "nodes": node_ids(geom.coords),
                         "tags": {"highway": highway, "name": f"Osm {name}"}})  # fmt: skip
    first = roads.geometry.iloc[0].coords
    elements.append({"type": "way", "id": 5000, "nodes": node_ids(first[:2]),
                     "tags": {"highway": "service"}})  # fmt: skip
    elements.append({"type": "way", "id": 5001, "nodes": node_ids([(-1.5, 52.0), (-1.49, 52.0)]),
                     "tags": {"highway": "residential", "name": "Far Away Road"}})  # fmt: skip
    node_elements = [{"type": "node", "id": i, "lat": lat, "lon": lon}
                     for (lat, lon), i in nodes.items()]  # fmt: skip
    return node_elements + elements


def answer(query: str) -> dict:
    """What Overpass answers to an osmnx features query: the ways inside its ``poly:``."""
    polys = [Polygon([(float(lon), float(lat)) for lat, lon in zip(p.split()[::2], p.split()[1::2])])
             for p in re.findall(r"poly:['\"]([^'\"]+)['\"]", query)]  # fmt: skip
    assert polys and "highway" in query, query[:200]
    elements = street_elements()
    where = {e["id"]: Point(e["lon"], e["lat"]) for e in elements if e["type"] == "node"}
    ways = [e for e in elements if e["type"] == "way"
            and all(any(p.contains(where[n]) for p in polys) for n in e["nodes"])]  # fmt: skip
    used = {n for w in ways for n in w["nodes"]}
    nodes = [e for e in elements if e["type"] == "node" and e["id"] in used]
    return {"version": 0.6, "generator": "Overpass API 0.7.62 (test)",
            "osm3s": {"timestamp_osm_base": "2026-12-07T08:00:00Z",
                      "copyright": "The data included in this document is from "
                                   "www.openstreetmap.org. The data is made available under ODbL."},
            "elements": nodes + ways}  # fmt: skip


class Overpass(BaseHTTPRequestHandler):
    """``/api/status`` and ``/api/interpreter``; ``server.log`` records each request."""

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.log.append(("GET", self.path))
        if self.path == "/api/status":
            return self._send(200, STATUS.encode(), "text/plain")
        return self._send(404, b"", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self.server.log.append(("POST", self.path))
        if self.path != "/api/interpreter" or "data" not in form:
            return self._send(400, b"", "text/plain")
        if self.server.fail:
            return self._send(400, b"Error: line 1: parse error", "text/html")
        return self._send(200, json.dumps(answer(form["data"][0])).encode(), "application/json")


@pytest.fixture
def overpass():
    """A local Overpass on 127.0.0.1; ``.url`` is its API root."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Overpass)
    httpd.log, httpd.fail = [], False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/api"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_fetch_streets_keeps_the_named_streets_of_the_answer(overpass, tmp_path):
    streets = fetch_streets(get_path("demo-wards"), overpass_url=overpass.url,
                            cache_dir=tmp_path / "cache")  # fmt: skip
    demo = gpd.read_file(get_path("demo-roads"))
    assert set(streets["name"]) == {f"Osm {n}" for n in demo["name"]}  # no service road, no far one
    assert "Far Away Road" not in set(streets["name"])
    assert (streets["attribution"] == OSM_ATTRIBUTION).all()
    assert streets.crs.to_epsg() == 27700
    assert set(streets.loc[streets["name"] == "Osm Unicorn Hill", "highway"]) <= {
        "primary",
        "residential",
    }
    assert [m for m, _ in overpass.log] == ["GET", "POST"]  # the status first, then one query


def test_fetch_streets_answers_from_the_cache_the_second_time(overpass, tmp_path):
    first = fetch_streets(
        get_path("demo-wards"), overpass_url=overpass.url, cache_dir=tmp_path / "c"
    )
    posts = sum(m == "POST" for m, _ in overpass.log)
    again = fetch_streets(
        get_path("demo-wards"), overpass_url=overpass.url, cache_dir=tmp_path / "c"
    )
    assert sum(m == "POST" for m, _ in overpass.log) == posts == 1
    assert again["name"].tolist() == first["name"].tolist()
    fetch_streets(get_path("demo-wards"), overpass_url=overpass.url, cache_dir=tmp_path / "c",
                  refresh=True)  # fmt: skip
    assert sum(m == "POST" for m, _ in overpass.log) == 2


def test_fetch_streets_offline_says_to_use_roads(tmp_path):
    closed = f"http://127.0.0.1:{_free_port()}/api"  # nothing listens there
    with pytest.raises(FetchError, match="--roads") as info:
        fetch_streets(get_path("demo-wards"), overpass_url=closed, cache_dir=tmp_path / "cache")
    assert "\n" not in str(info.value) and "cannot be reached" in str(info.value)


def test_fetch_streets_error_answer_is_one_line(overpass, tmp_path):
    overpass.fail = True
    with pytest.raises(FetchError, match="Overpass") as info:
        fetch_streets(get_path("demo-wards"), overpass_url=overpass.url, cache_dir=tmp_path / "c")
    assert "\n" not in str(info.value)


def test_fetched_streets_read_back_as_roads_with_the_attribution(overpass, tmp_path):
    from hotspots.io import write_layer

    streets = fetch_streets(
        get_path("demo-wards"), overpass_url=overpass.url, cache_dir=tmp_path / "c"
    )
    path = write_layer(streets, tmp_path / "streets.gpkg", layer_name="streets")
    roads = read_roads(path)
    assert "Osm Unicorn Hill" in set(roads["name"])
    assert set(roads["kind"]) == {"main", "local"}
    assert roads_attribution(roads) == OSM_ATTRIBUTION


# --- OpenStreetMap extracts (.osm.pbf), written here with osmium's writer -------------------


def write_pbf(path, ways: list[tuple[str, dict, list[tuple[float, float]]]]):
    """An .osm.pbf with one way per (id, tags, lon/lat points) and the nodes they need."""
    import osmium
    from osmium.osm.mutable import Node, Way

    writer = osmium.SimpleWriter(str(path))
    ids, node_id, lines = {}, 0, []
    for _, tags, points in ways:
        refs = []
        for lon, lat in points:
            if (lon, lat) not in ids:
                node_id += 1
                ids[(lon, lat)] = node_id
                writer.add_node(Node(id=node_id, location=(lon, lat), tags={}))
            refs.append(ids[(lon, lat)])
        lines.append((tags, refs))
    for i, (tags, refs) in enumerate(lines, start=1):
        writer.add_way(Way(id=i, nodes=refs, tags=tags))
    writer.close()
    return path


PBF_WAYS = [
    ("a", {"highway": "primary", "name": "Pbf High Street", "ref": "A441"},
     [(-1.9445, 52.3076), (-1.9433, 52.3060), (-1.9420, 52.3050)]),
    ("b", {"highway": "residential", "name": "Pbf Close"}, [(-1.9400, 52.3050), (-1.9380, 52.3040)]),
    ("c", {"highway": "trunk", "ref": "A4023"}, [(-1.95, 52.29), (-1.96, 52.28)]),
    ("d", {"highway": "service"}, [(-1.9400, 52.3050), (-1.9401, 52.3052)]),
    ("e", {"building": "yes", "name": "Pbf Town Hall"}, [(-1.941, 52.305), (-1.940, 52.305)]),
    ("f", {"highway": "residential", "name": "Pbf Far Lane"}, [(-1.50, 52.00), (-1.49, 52.00)]),
]  # fmt: skip


def test_read_roads_reads_an_osm_extract(tmp_path):
    roads = read_roads(write_pbf(tmp_path / "county.osm.pbf", PBF_WAYS))
    names = set(roads["name"])
    # Named highways and a numbered one; no unnamed service road, no building.
    assert names == {"Pbf High Street", "Pbf Close", "A4023", "Pbf Far Lane"}
    assert dict(zip(roads["name"], roads["kind"]))["Pbf High Street"] == "main"
    assert dict(zip(roads["name"], roads["kind"]))["Pbf Close"] == "local"
    assert roads.crs.to_epsg() == 27700 and roads_attribution(roads) == OSM_ATTRIBUTION
    length = roads.loc[roads["name"] == "Pbf Close"].length.iloc[0]
    assert 150 < length < 200  # about 170 m on the ground


def test_read_roads_keeps_only_the_box_of_an_osm_extract(tmp_path):
    pbf = write_pbf(tmp_path / "county.osm.pbf", PBF_WAYS)
    wards = gpd.read_file(get_path("demo-wards")).to_crs(27700)
    roads = read_roads(pbf, bbox=tuple(wards.total_bounds))
    assert "Pbf Far Lane" not in set(roads["name"]) and "Pbf Close" in set(roads["name"])


def test_a_broken_osm_extract_is_named(tmp_path):
    from hotspots._errors import InputFileError

    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(
        InputFileError, match=r"broken\.osm\.pbf: cannot be read as an OpenStreetMap"
    ):
        read_roads(bad)


# --- the acceptance chain: fetch streets -> the store -> map, tasking, serve, no option ---------


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A store of the demo borough's incidents and boundaries (no streets yet)."""
    from click.testing import CliRunner

    from hotspots.cli import main

    path = tmp_path_factory.mktemp("store") / "s.gpkg"
    done = CliRunner().invoke(main, ["ingest", str(get_path("demo-incidents")), "--store", str(path),
                                     "--wards", str(get_path("demo-wards")),
                                     "--areas", str(get_path("demo-focus-areas"))])  # fmt: skip
    assert done.exit_code == 0, done.output
    return path


def _run(*args: str):
    from click.testing import CliRunner

    from hotspots.cli import main

    done = CliRunner().invoke(main, [str(a) for a in args])
    assert done.exit_code == 0, done.output
    return done


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def _texts_drawn(monkeypatch) -> list[str]:
    """Every text matplotlib's ``Axes.text`` is asked to draw from now on (a list that fills)."""
    from matplotlib.axes import Axes

    drawn, text = [], Axes.text

    def spy(self, x, y, s, *args, **kwargs):
        drawn.append(str(s))
        return text(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Axes, "text", spy)
    return drawn


def test_fetched_streets_in_the_store_are_drawn_by_map_tasking_and_serve(
    overpass, demo_store, tmp_path, monkeypatch
):
    import shutil

    from hotspots.store.store import open_store

    store = tmp_path / "s.gpkg"
    shutil.copy(demo_store, store)
    with open_store(store) as opened:
        before = opened.version()
    done = _run("fetch", "streets", "--store", store, "--overpass-url", overpass.url,
                "--cache-dir", tmp_path / "cache")  # fmt: skip
    assert "stored 24 street lines (24 named) from OpenStreetMap" in done.output
    with open_store(store) as opened:
        assert opened.version() == before + 1  # the web app sees the change
        assert "Osm Unicorn Hill" in set(opened.streets()["name"])
    sel = ["--store", store, "--season", "autumn", "--fy", "2018-19"]
    # The standalone map: names from the answer, and the licence.
    _run("map", *sel, "-o", tmp_path / "m.html")
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "Osm Unicorn Hill" in page and "Osm Market Place" in page
    assert "Streets: \\u00a9 OpenStreetMap contributors" in page  # the licence, JSON-escaped
    assert "hotspots fetch streets" not in page  # no "no streets" notice
    # The tasking sheet (PDF): a focus area's map names its streets (drawn with a halo, so as
    # outlines in the PDF: the names are caught as matplotlib draws them); the licence is printed.
    drawn = _texts_drawn(monkeypatch)
    _run("tasking", *sel, "--area", "Town centre", "-o", tmp_path / "t.pdf")
    assert {"Osm Unicorn Hill", "Osm Market Place"} <= set(drawn), drawn
    assert "Streets: © OpenStreetMap contributors." in _pdf_text(tmp_path / "t.pdf")
    # serve --store: the web map frame.
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_STORE": str(store)})  # fmt: skip
    frame = app.test_client().get("/map/frame?season=autumn&fy=2018-19").get_data(as_text=True)
    assert "Osm Unicorn Hill" in frame and "OpenStreetMap contributors" in frame


def test_ingest_roads_keeps_an_osm_extract_in_the_store(demo_store, tmp_path):
    import shutil

    store = tmp_path / "s.gpkg"
    shutil.copy(demo_store, store)
    pbf = write_pbf(tmp_path / "county.osm.pbf", PBF_WAYS)
    done = _run("ingest", "--roads", pbf, "--store", store)
    # Near the wards only: not the far lane.
    assert (
        "stored 3 street lines (3 named) from county.osm.pbf (© OpenStreetMap contributors)"
        in done.output
    )
    _run(
        "map", "--store", store, "--season", "autumn", "--fy", "2018-19", "-o", tmp_path / "m.html"
    )
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "Pbf High Street" in page and "Pbf Far Lane" not in page
    assert "OpenStreetMap contributors" in page


def test_roads_none_turns_the_store_streets_off(overpass, demo_store, tmp_path):
    import shutil

    store = tmp_path / "s.gpkg"
    shutil.copy(demo_store, store)
    _run("fetch", "streets", "--store", store, "--overpass-url", overpass.url,
         "--cache-dir", tmp_path / "cache")  # fmt: skip
    _run("map", "--store", store, "--roads", "none", "-o", tmp_path / "m.html")
    assert "Osm Unicorn Hill" not in (tmp_path / "m.html").read_text(encoding="utf-8")


def test_a_map_with_no_street_source_says_how_to_add_them(demo_store, tmp_path):
    _run(
        "map",
        "--store",
        demo_store,
        "--season",
        "autumn",
        "--fy",
        "2018-19",
        "-o",
        tmp_path / "m.html",
    )
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "hotspots fetch streets --store" in page
    _run("tasking", "--store", demo_store, "--season", "autumn", "--fy", "2018-19",
         "-o", tmp_path / "t.pdf")  # fmt: skip
    assert "hotspots fetch streets --store" in _pdf_text(tmp_path / "t.pdf")


def test_cli_fetch_streets_writes_a_file_for_roads_then_ingest_roads(
    overpass, demo_store, tmp_path
):
    import shutil

    out = tmp_path / "streets.gpkg"
    done = _run("fetch", "streets", "--wards", get_path("demo-wards"), "-o", out,
                "--overpass-url", overpass.url, "--cache-dir", tmp_path / "cache")  # fmt: skip
    assert f"wrote {out}" in done.output and "--roads" in done.output
    assert "Osm Church Green" in set(read_roads(out)["name"])
    # The file into the store: then the map needs no option.
    store = tmp_path / "s.gpkg"
    shutil.copy(demo_store, store)
    done = _run("ingest", "--roads", out, "--store", store)
    assert "from streets.gpkg (© OpenStreetMap contributors)" in done.output
    _run("map", "--store", store, "-o", tmp_path / "m.html")
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "Osm Church Green" in page and "Streets: \\u00a9 OpenStreetMap contributors" in page


def test_cli_fetch_streets_offline_is_one_line_naming_roads(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("hotspots")
    closed = f"http://127.0.0.1:{_free_port()}/api"
    done = subprocess.run([str(exe), "fetch", "streets", "--wards", str(get_path("demo-wards")),
                           "-o", str(tmp_path / "s.gpkg"), "--overpass-url", closed,
                           "--cache-dir", str(tmp_path / "c")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HOTSPOTS_STORE": ""})  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--roads" in lines[0], done.stderr


@pytest.fixture(params=["gpkg", "postgis"])
def store_target(request, tmp_path) -> str:
    """A new store on each backend (PostGIS: a new database on the session's server)."""
    if request.param == "gpkg":
        return str(tmp_path / "s.gpkg")
    return request.getfixturevalue("postgis_server").new_database()


def test_the_store_keeps_streets_and_replaces_them(store_target):
    from hotspots.read.roads import as_roads
    from hotspots.store.store import open_store

    demo = read_roads(get_path("demo-roads"))
    osm = as_roads(demo.assign(name="Osm " + demo["name"], attribution=OSM_ATTRIBUTION))
    with open_store(store_target) as store:
        assert store.streets() is None  # a store made before streets: none, no error
        store.ingest([get_path("demo-incidents")], wards_path=get_path("demo-wards"))
        v = store.version()
        store.keep_streets(demo, source="roads.geojson")
        store.keep_streets(osm, source="OpenStreetMap")
        got = store.streets()
        assert store.version() == v + 2 and store.check().ok
        assert sorted(got["name"]) == sorted(osm["name"])  # replaced, not added
        assert roads_attribution(got) == OSM_ATTRIBUTION
        assert got.geom_equals_exact(osm.geometry, tolerance=0.01).all()
        assert store.boundaries().set_index("kind").loc["streets", "file_name"] == "OpenStreetMap"


def test_the_deck_draws_the_store_streets(overpass, demo_store, tmp_path, monkeypatch):
    import shutil

    store = tmp_path / "s.gpkg"
    shutil.copy(demo_store, store)
    _run("fetch", "streets", "--store", store, "--overpass-url", overpass.url,
         "--cache-dir", tmp_path / "cache")  # fmt: skip
    drawn = _texts_drawn(monkeypatch)
    _run("report", "--store", store, "--fy", "2018-19", "--dpi", "50", "-o", tmp_path / "d.pptx")
    assert any(t.startswith("Osm ") for t in drawn), drawn


def test_os_open_roads_read_with_their_licence(tmp_path):
    from shapely.geometry import LineString

    from hotspots.read.roads import OS_ATTRIBUTION

    # OS Open Roads' own columns (RoadLink layer): name1, roadNumber, roadClassification.
    roads = gpd.GeoDataFrame(
        {"name1": ["Unicorn Hill", None], "roadNumber": [None, "A441"],
         "roadClassification": ["Unclassified", "A Road"], "formOfWay": ["Single Carriageway"] * 2},
        geometry=[LineString([(404000, 267400), (404200, 267500)]),
                  LineString([(404300, 267000), (404300, 268000)])], crs=27700)  # fmt: skip
    path = tmp_path / "oproad_gpkg_gb.gpkg"
    roads.to_file(path, layer="road_link", driver="GPKG")
    got = read_roads(path)
    assert got["name"].tolist() == ["Unicorn Hill", "A441"]
    assert got["kind"].tolist() == ["local", "main"]
    assert roads_attribution(got) == OS_ATTRIBUTION


def test_serve_with_roads_from_an_osm_extract(tmp_path):
    from webapp import create_app

    pbf = write_pbf(tmp_path / "county.osm.pbf", PBF_WAYS)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_ROADS": str(pbf)})  # fmt: skip
    streets = app.extensions["hotspots_store"].streets()
    assert "Pbf High Street" in set(streets["name"]) and "Pbf Far Lane" not in set(streets["name"])
    frame = app.test_client().get("/map/frame?season=autumn&fy=2018-19").get_data(as_text=True)
    assert "Pbf Close" in frame and "OpenStreetMap contributors" in frame


def test_static_and_web_legends_say_how_to_add_streets_only_when_there_are_none(demo):
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.draw.cartography import NO_STREETS_LEGEND
    from hotspots.draw.static import MapStyle, map_figure
    from hotspots.draw.webmap import hotspot_map, ward_summary

    clusters = hotspots_for(demo, season="autumn", financial_year="2018-19")
    for roads, says in ((None, True), (read_roads(get_path("demo-roads")), False)):
        style = MapStyle(dpi=40, roads=roads)
        fig = map_figure(clusters, demo.wards, title="t", note="n", style=style)
        legend = [" ".join(t.get_text().split()) for t in fig.legends[0].get_texts()]  # unwrapped
        assert (NO_STREETS_LEGEND in legend) is says
        assert ("fetch streets --store" in style.attribution()) is says
        page = hotspot_map(ward_summary(demo.incidents, demo.wards), clusters, demo.incidents,
                           roads=roads).get_root().render()  # fmt: skip
        assert ("fetch streets --store" in page) is says
