"""Fetch against a local HTTP server that the tests start (127.0.0.1), never the live services.

The server answers in the services' documented formats, with data made here:
police.uk's ``forces/<id>`` and ``crimes-street/<category>?date=&poly=`` (a JSON
list of crimes), and the ONS feature service's ``query?...&f=geojson`` (a
FeatureCollection, paged with ``resultOffset`` / ``exceededTransferLimit``).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pytest

from boundaries import get_path, load_wards
from hotspots.read.fetch import Fetcher, FetchError, fetch_police_uk, fetch_ward_boundaries
from hotspots.store.ingest import ward_vintage
from hotspots.store.store import open_store
from tests._postgis import _free_port
from tests.conftest import ROOT

SERVED = {"2024-01": 30, "2024-02": 20}


def _ward_points() -> list[tuple[str, str, str]]:
    """A point well inside each demo ward, as police.uk writes them (text lon/lat, a street)."""
    wards = load_wards(get_path("demo-wards"))
    pts = gpd.GeoSeries(wards.geometry.representative_point(), crs=27700).to_crs(4326)
    return [(f"{p.x:.6f}", f"{p.y:.6f}", f"On or near {name} Road")
            for p, name in zip(pts, wards["ward_name"])]  # fmt: skip


def crimes_for(month: str) -> list[dict]:
    """police.uk API crimes (documented shape), several sharing a map point as on police.uk."""
    points = _ward_points()
    out = []
    for i in range(SERVED.get(month, 0)):
        lon, lat, street = points[i % len(points)]
        out.append({
            "category": "anti-social-behaviour", "location_type": "Force",
            "location": {"latitude": lat, "longitude": lon,
                         "street": {"id": 1000 + i % len(points), "name": street}},
            "context": "", "outcome_status": None, "persistent_id": "", "id": 9000 + i,
            "location_subtype": "", "month": month,
        })  # fmt: skip
    return out


def ward_features() -> list[dict]:
    wards = load_wards(get_path("demo-wards")).to_crs(4326)
    doc = json.loads(wards.to_json(drop_id=True))
    for i, feature in enumerate(doc["features"]):
        props = feature["properties"]
        feature["properties"] = {"FID": i + 1, "WD23CD": props["ward_code"],
                                 "WD23NM": props["ward_name"], "LAD23CD": "E07000236",
                                 "LAD23NM": "Redditch"}  # fmt: skip
    return doc["features"]


class Handler(BaseHTTPRequestHandler):
    """Routes of the two services; ``server.plan`` scripts failures, ``server.log`` records."""

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.server.log.append((time.monotonic(), url.path, query))
        if self.server.plan:
            status, headers = self.server.plan.pop(0)
            return self._send(status, {"error": "scripted"}, headers)
        if url.path == "/police/api/forces/west-mercia":
            return self._send(200, {"id": "west-mercia", "name": "West Mercia Police"})
        if url.path.startswith("/police/api/forces/"):
            return self._send(404, b"")
        if url.path == "/police/api/crimes-street/anti-social-behaviour":
            assert len(query["poly"].split(":")) >= 3
            return self._send(200, crimes_for(query["date"]))
        if url.path.endswith("/FeatureServer/0/query"):
            if "_2023_" not in url.path:
                return self._send(200, {"error": {"code": 400, "message": "Invalid URL"}})
            assert query["f"] == "geojson" and query["where"] == "LAD23CD='E07000236'"
            features = ward_features()
            start, count = int(query["resultOffset"]), int(query["resultRecordCount"])
            page = features[start : start + count]
            body = {"type": "FeatureCollection", "features": page}
            if start + count < len(features):
                body["properties"] = {"exceededTransferLimit": True}
            return self._send(200, body)
        return self._send(404, b"")


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.plan, httpd.log = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def fast(tmp_path, **kw) -> Fetcher:
    return Fetcher(cache_dir=tmp_path / "cache", min_interval_s=0, backoff_s=0.01, **kw)


POLY = [(52.29, -1.99), (52.33, -1.99), (52.33, -1.90), (52.29, -1.90)]


def test_police_uk_months_written_in_the_download_layout(server, tmp_path):
    files = fetch_police_uk(force="west-mercia", months=["2024-01", "2024-02"], polygon=POLY,
                            out_dir=tmp_path / "out", fetcher=fast(tmp_path),
                            base_url=server.base + "/police/api")  # fmt: skip
    assert [f.name for f in files] == [
        "2024-01-west-mercia-street.csv",
        "2024-02-west-mercia-street.csv",
    ]
    header = files[0].read_text().splitlines()[0]
    assert header == ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                      "LSOA code,LSOA name,Crime type,Last outcome category,Context")  # fmt: skip
    assert len(files[0].read_text().splitlines()) == 1 + SERVED["2024-01"]
    assert ",West Mercia Police,West Mercia Police," in files[1].read_text()


def test_answers_are_cached_and_requests_spaced(server, tmp_path, monkeypatch):
    import urllib.request

    # When each request is sent (the server thread may log late on a loaded machine).
    sent, urlopen = [], urllib.request.urlopen

    def timed(*args, **kwargs):
        sent.append(time.monotonic())
        return urlopen(*args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", timed)
    fetcher = Fetcher(cache_dir=tmp_path / "cache", min_interval_s=0.2)
    kw = {"force": "west-mercia", "months": ["2024-01", "2024-02"], "polygon": POLY,
          "base_url": server.base + "/police/api"}  # fmt: skip
    fetch_police_uk(out_dir=tmp_path / "a", fetcher=fetcher, **kw)
    assert len(server.log) == 3 and len(sent) == 3
    assert min(b - a for a, b in itertools.pairwise(sent)) >= 0.19
    again = Fetcher(cache_dir=tmp_path / "cache", min_interval_s=0.2)
    fetch_police_uk(out_dir=tmp_path / "b", fetcher=again, **kw)
    assert again.requests_made == 0 and len(server.log) == 3
    assert (tmp_path / "a" / "2024-01-west-mercia-street.csv").read_bytes() == (
        tmp_path / "b" / "2024-01-west-mercia-street.csv"
    ).read_bytes()


def test_retries_with_back_off_on_503_and_429(server, tmp_path):
    server.plan = [(503, {}), (429, {"Retry-After": "0"})]
    fetcher = fast(tmp_path)
    files = fetch_police_uk(force="west-mercia", months=["2024-01"], polygon=POLY,
                            out_dir=tmp_path, fetcher=fetcher, base_url=server.base + "/police/api")  # fmt: skip
    assert fetcher.requests_made == 4  # force (503, 429, 200) + one month
    assert len(files[0].read_text().splitlines()) == 31


def test_gives_up_after_the_retries_with_a_clear_error(server, tmp_path):
    server.plan = [(503, {})] * 3
    with pytest.raises(FetchError, match="could not be reached after 3 tries"):
        fast(tmp_path, retries=2).get(
            server.base + "/police/api/forces/west-mercia", service="police.uk"
        )


def test_unknown_force_is_a_clear_error(server, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_police_uk(force="atlantis", months=["2024-01"], polygon=POLY, out_dir=tmp_path,
                        fetcher=fast(tmp_path), base_url=server.base + "/police/api")  # fmt: skip


def test_offline_is_a_clear_error(tmp_path):
    port = _free_port()
    with pytest.raises(FetchError, match="are you offline"):
        fast(tmp_path, retries=1).get(f"http://127.0.0.1:{port}/api/forces", service="police.uk")


def test_boundaries_paged_into_a_geopackage_with_vintage(server, tmp_path):
    out = fetch_ward_boundaries(lad="E07000236", year=2023, out_path=tmp_path / "w.gpkg",
                                fetcher=fast(tmp_path), base_url=server.base + "/ons", page_size=5)  # fmt: skip
    pages = [q for _, path, q in server.log if path.endswith("/query")]
    assert [int(q["resultOffset"]) for q in pages] == [0, 5, 10]
    wards = load_wards(out)
    assert len(wards) == 12 and wards.crs.to_epsg() == 27700
    assert set(gpd.read_file(out)["vintage"]) == {"2023"}
    assert ward_vintage(out) == "2023"
    with pytest.raises(FetchError, match="check --year"):
        fetch_ward_boundaries(lad="E07000236", year=2019, out_path=tmp_path / "x.gpkg",
                              fetcher=fast(tmp_path), base_url=server.base + "/ons")  # fmt: skip


def _cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("hotspots")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "HOTSPOTS_STORE": ""}, timeout=300)  # fmt: skip


def test_cli_fetch_boundaries_then_police_uk_then_ingest_gives_the_rows_served(server, tmp_path):
    cache = ["--cache-dir", str(tmp_path / "cache"), "--pause-s", "0"]
    wards = tmp_path / "wards.gpkg"
    done = _cli("fetch", "boundaries", "--lad", "E07000236", "--year", "2023", "-o", str(wards),
                "--base-url", server.base + "/ons", *cache)  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = tmp_path / "s.gpkg"
    done = _cli("fetch", "police-uk", "--force", "west-mercia", "--from", "2024-01", "--to", "2024-02",
                "--wards", str(wards), "-o", str(tmp_path / "csv"), "--ingest", "--store", str(store),
                "--base-url", server.base + "/police/api", *cache)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "read 30, stored 30, rejected 0 (added)" in done.stdout
    assert "read 20, stored 20, rejected 0 (added)" in done.stdout
    with open_store(store) as opened:
        prepared = opened.prepared()
        assert opened.boundaries().set_index("kind").loc["wards", "vintage"] == "2023"
    served = [c for m in SERVED for c in crimes_for(m)]
    assert len(prepared.incidents) == len(served) == 50
    assert sorted(prepared.incidents["location"]) == sorted(
        c["location"]["street"]["name"] for c in served
    )
    assert prepared.incidents["month"].value_counts().to_dict() == SERVED


def test_cli_offline_is_one_line_without_traceback(tmp_path):
    port = _free_port()
    done = _cli("fetch", "police-uk", "--force", "west-mercia", "--from", "2024-01", "--to", "2024-01",
                "--poly", "52.29,-1.99:52.33,-1.99:52.33,-1.90", "-o", str(tmp_path),
                "--base-url", f"http://127.0.0.1:{port}/api", "--retries", "0",
                "--cache-dir", str(tmp_path / "c"))  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "police.uk could not be reached after 1 tries" in done.stderr
    assert "are you offline?" in done.stderr
