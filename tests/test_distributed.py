"""The Dask engine gives the single-machine clusters, also across a force boundary."""

from __future__ import annotations

import numpy as np
import pytest
from geopandas.testing import assert_geodataframe_equal

from hotspots.cluster import ClusterParams, dbscan_labels, distinct_points
from hotspots.distributed import force_of, partitioned_labels
from hotspots.geocode import bng_to_lonlat
from tests.conftest import police_row


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_area_by_area_labels_equal_plain_dbscan(seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3000, (12, 2))
    xy = np.vstack([rng.normal(c, 40, (60, 2)).round(-1) for c in centres] +
                   [rng.uniform(0, 3000, (300, 2)).round(-1)])  # fmt: skip
    xy = xy[rng.permutation(len(xy))]
    inverse, uniq, counts = distinct_points(xy)
    area = np.where(uniq[:, 0] < 1000, "a", np.where(uniq[:, 1] < 1500, "b", "c"))
    for eps, ms in ((60, 4), (100, 8), (150, 20)):
        want = dbscan_labels(xy, eps_m=eps, min_samples=ms)
        got = partitioned_labels(uniq, counts, area, eps_m=eps, min_samples=ms)[inverse]
        assert want.max() >= 3
        np.testing.assert_array_equal(got, want)


def _rows(xy, month, location):
    lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
    return [police_row(f"{a:.6f}", f"{b:.6f}", month, location) for a, b in zip(lon, lat)]


@pytest.fixture
def two_forces(write_police):
    """Two forces (west of x=405000 and east of it), two months, a cluster on the boundary."""
    rng = np.random.default_rng(4)
    files = []
    for month in ("2018-10", "2018-11"):
        west = np.vstack([
            rng.normal([403800, 267000], 25, (25, 2)),           # a cluster in the west
            rng.normal([404960, 267300], 20, (12, 2)),           # the west half of the straddler
            rng.uniform([403100, 266100], [404900, 267900], (15, 2)),  # noise
        ]).round(-1)  # fmt: skip
        east = np.vstack([
            rng.normal([406200, 266800], 25, (20, 2)),
            rng.normal([405040, 267300], 20, (12, 2)),
            rng.uniform([405100, 266100], [406900, 267900], (15, 2)),
        ]).round(-1)  # fmt: skip
        west = west[west[:, 0] < 405000]
        east = east[east[:, 0] >= 405000]
        files.append(write_police(_rows(west, month, "On or near West Street"),
                                  f"{month}-west-force-street.csv"))  # fmt: skip
        files.append(write_police(_rows(east, month, "On or near East Road"),
                                  f"{month}-east-force-street.csv"))  # fmt: skip
    return files


def test_dask_engine_equals_the_single_machine_path(two_forces, square_wards):
    from hotspots.distributed import connect, hotspots_dask
    from hotspots.incidents import read_incidents
    from hotspots.pipeline import hotspots_for, prepare

    params = ClusterParams(eps_m=60, min_samples=6)
    single = hotspots_for(prepare(read_incidents(two_forces), square_wards), params=params,
                          season="autumn")  # fmt: skip
    with connect(n_workers=1, processes=False) as client:
        out, info = hotspots_dask(two_forces, square_wards, client=client, params=params,
                                  season="autumn")  # fmt: skip
    assert info["forces"] == ["east-force", "west-force"]
    assert info["chosen"] == single.attrs["selected"]
    assert len(single) >= 3
    # the straddling cluster is one cluster, with incidents from both forces' files
    both = single[single["top_locations"].str.contains("West") & single["top_locations"].str.contains("East")]
    assert len(both) == 1 and both["incidents"].iloc[0] >= 40
    assert_geodataframe_equal(out, single, check_less_precise=False)
    for key in ("min_samples", "selected", "clustered", "parameters", "period", "all_incidents"):
        assert out.attrs[key] == single.attrs[key], key


def test_dask_engine_views_a_ward_as_the_single_machine_does(two_forces, square_wards):
    from hotspots.distributed import connect, hotspots_dask
    from hotspots.incidents import read_incidents
    from hotspots.pipeline import hotspots_for, prepare

    params = ClusterParams(eps_m=60, min_samples=6)
    prepared = prepare(read_incidents(two_forces), square_wards)
    with connect(n_workers=1, processes=False) as client:
        for ward in ("West", "East"):
            single = hotspots_for(prepared, params=params, ward=ward)
            out, _ = hotspots_dask(two_forces, square_wards, client=client, params=params,
                                   ward=ward)  # fmt: skip
            assert len(single) >= 1 and set(single["ward"]) == {ward}
            assert_geodataframe_equal(out, single)
            assert out.attrs["selected"] == single.attrs["selected"] < prepared.incidents.shape[0]


def test_force_names_come_from_police_uk_file_names():
    assert force_of("/data/2019-02-west-mercia-street.csv") == "west-mercia"
    assert force_of("x.zip:2019-02/2019-02-dyfed-powys-street.csv") == "dyfed-powys"


def test_cli_engine_dask_writes_the_same_clusters(two_forces, square_wards, tmp_path, monkeypatch):
    import geopandas as gpd
    from click.testing import CliRunner

    import hotspots.distributed as dist
    from hotspots.cli import main

    real_connect = dist.connect

    def small_local(scheduler=None, **_):
        assert scheduler is None
        return real_connect(None, n_workers=1, processes=False)

    monkeypatch.setattr(dist, "connect", small_local)
    monkeypatch.delenv(dist.SCHEDULER_ENV, raising=False)
    wards = tmp_path / "wards.geojson"
    square_wards.rename(columns={"ward_name": "name", "ward_code": "code"}).to_file(wards)
    files = [str(p) for p in two_forces]
    common = [*files, "--wards", str(wards), "--eps-m", "60", "--min-samples", "6", "--simulations", "0"]
    runner = CliRunner()
    one = runner.invoke(main, ["clusters", *common, "-o", str(tmp_path / "one.gpkg")])
    two = runner.invoke(main, ["clusters", *common, "--engine", "dask", "-o", str(tmp_path / "two.gpkg")])
    assert one.exit_code == 0, one.output
    assert two.exit_code == 0, two.output
    assert "2 force area(s)" in two.output
    assert one.output.splitlines()[-1] == two.output.splitlines()[-1]  # the same table
    a, b = gpd.read_file(tmp_path / "one.gpkg"), gpd.read_file(tmp_path / "two.gpkg")
    assert len(a) >= 3
    assert_geodataframe_equal(a, b)


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    from hotspots._errors import HotspotsError
    from hotspots.distributed import connect

    monkeypatch.setenv("HOTSPOTS_DASK_TIMEOUT", "2s")
    with pytest.raises(HotspotsError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        connect("tcp://127.0.0.1:9")


def test_dask_engine_reads_police_uk_zips_like_the_single_machine(two_forces, square_wards, tmp_path):
    import zipfile

    from hotspots.distributed import connect, hotspots_dask
    from hotspots.incidents import read_incidents
    from hotspots.pipeline import hotspots_for, prepare

    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in two_forces:
            zf.write(path, f"{path.name[:7]}/{path.name}")
    params = ClusterParams(eps_m=60, min_samples=6)
    single = hotspots_for(prepare(read_incidents([archive]), square_wards), params=params)
    with connect(n_workers=1, processes=False) as client:
        out, info = hotspots_dask([archive], square_wards, client=client, params=params)
    assert info["forces"] == ["east-force", "west-force"] and len(single) >= 3
    assert_geodataframe_equal(out, single)
