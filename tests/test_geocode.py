"""Postcode look-up, the online geocoder's cache and rate limit, and a real-data round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from boundaries import load_wards
from hotspots._errors import InputFileError
from hotspots.analysis.prepare import prepare
from hotspots.analysis.wards import ward_table
from hotspots.read.council import read_council_csv
from hotspots.read.geocode import (
    OnlineGeocoder,
    PostcodeDirectory,
    geocode_queries,
    lonlat_to_bng,
    normalise_postcode,
)
from hotspots.read.incidents import read_police_csv
from tests.conftest import CODEPOINT, POLICE, REDDITCH_WARDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [("B97 4AB", "B97 4AB"), ("b974ab", "B97 4AB"), ("B97  4AB", "B97 4AB"), (" b97 4ab ", "B97 4AB"),
     ("B1 1AA", "B1 1AA"), ("EC1A1BB", "EC1A 1BB"), ("not a postcode", ""), ("", ""), (None, "")],
)  # fmt: skip
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected


def test_codepoint_directory_reads_fixed_width_postcodes(shared_data):
    directory = PostcodeDirectory.from_csv(CODEPOINT)
    assert len(directory.points) > 7000
    # Code-Point pads short outward codes ("B97 4AB" is 7 wide; "B1  1AA" style padding too).
    sample = pd.read_csv(CODEPOINT, dtype=str).iloc[:50]
    for raw, e, n in zip(sample["Postcode"], sample["Eastings"], sample["Northings"]):
        squashed = raw.replace(" ", "").lower()
        assert directory.geocode([squashed]) == [(float(e), float(n))]


def test_directory_with_wrong_columns_is_refused(tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match="Code-Point"):
        PostcodeDirectory.from_csv(path)


def test_geocode_queries_reports_matches():
    d = PostcodeDirectory(points={"B97 4AB": (404000.0, 267000.0)})
    out = geocode_queries(pd.Series(["B97 4AB", "b97 4ab", "ZZ1 1ZZ", ""], index=[5, 6, 7, 8]), d)
    assert out.index.tolist() == [5, 6, 7, 8]
    assert out["matched"].tolist() == [True, True, False, False]


class FakeGeopy:
    """Answers like geopy's geocoders, and counts the calls."""

    def __init__(self):
        self.calls = []

    def geocode(self, query):
        self.calls.append(query)
        if query.startswith("Unicorn Hill"):
            return type("Location", (), {"latitude": 52.306, "longitude": -1.940})()
        return None


def test_online_geocoder_caches_and_never_repeats_a_query(tmp_path):
    fake = FakeGeopy()
    cache = tmp_path / "cache.sqlite"
    coder = OnlineGeocoder(fake, cache_path=cache, min_delay_seconds=0)
    first = coder.geocode(["Unicorn Hill, Redditch", "Nowhere Lane", "Unicorn Hill, Redditch"])
    coder.close()
    assert first[1] is None and first[0] == first[2]
    x, y = lonlat_to_bng([-1.940], [52.306])
    assert first[0] == pytest.approx((x[0], y[0]))
    assert fake.calls == ["Unicorn Hill, Redditch, UK", "Nowhere Lane, UK"]
    again = OnlineGeocoder(fake, cache_path=cache, min_delay_seconds=0)
    assert again.geocode(["Unicorn Hill, Redditch", "Nowhere Lane"]) == first[:2]
    assert len(fake.calls) == 2  # both answers, found and not found, came from the cache


def test_online_geocoder_waits_between_requests(tmp_path, monkeypatch):
    """geopy's RateLimiter keeps requests 1 s apart (a fake clock: no real waiting)."""
    now, sleeps = [0.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("geopy.extra.rate_limiter.default_timer", lambda: now[0])
    monkeypatch.setattr("geopy.extra.rate_limiter.sleep", sleep)
    fake = FakeGeopy()
    coder = OnlineGeocoder(fake, cache_path=tmp_path / "c.sqlite", min_delay_seconds=1.0)
    coder.geocode(["a", "b", "c", "a"])
    assert sleeps == [1.0, 1.0]  # three requests; the repeated "a" comes from the cache
    assert fake.calls == ["a, UK", "b, UK", "c, UK"]


def test_postcode_geocoding_barely_moves_the_ward_table(shared_data, tmp_path):
    """Real police.uk rows, each given its nearest real postcode, geocoded back."""
    load = read_police_csv(POLICE / "2018-10-west-mercia-street.csv")
    rows = load.incidents[load.incidents["lsoa_name"].str.startswith("Redditch ")]
    directory = PostcodeDirectory.from_csv(CODEPOINT)
    keys = list(directory.points)
    tree = cKDTree(np.array([directory.points[k] for k in keys]))
    xy = np.column_stack([rows.geometry.x, rows.geometry.y])
    dist, idx = tree.query(xy)
    assert np.median(dist) < 100  # postcode units are small in a town
    export = pd.DataFrame({
        "Case Ref": rows["incident_id"].to_numpy(),
        "Date": "15/10/2018",
        # Council data writes postcodes in every style.
        "Postcode": [keys[i].replace(" ", "").lower() if j % 2 else keys[i] for j, i in enumerate(idx)],
    })  # fmt: skip
    path = tmp_path / "council.csv"
    export.to_csv(path, index=False)
    council = read_council_csv(path, geocoder=directory)
    assert council.kept == len(rows) and council.rejected == 0  # 100% match rate
    wards = load_wards(REDDITCH_WARDS)
    before = ward_table(prepare(load, wards).incidents, wards).set_index("ward")["2018-19"]
    after = ward_table(prepare(council, wards).incidents, wards).set_index("ward")["2018-19"]
    assert after["Grand Total"] == pytest.approx(before["Grand Total"], abs=3)
    moved = (after - before).abs().drop("Grand Total")
    assert moved.sum() <= 0.08 * before["Grand Total"], moved[moved > 0]
