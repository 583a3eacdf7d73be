"""The map points' catchments kept on disk between runs: same answer, computed once, never torn."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

import hotspots.analysis.catchments as catchments
from hotspots.catchment_files import KEEP_FILES, CatchmentFiles, cache_folder, catchment_files


@pytest.fixture(autouse=True)
def _new_process():
    catchments._CATCHMENTS.clear()  # each test starts as a new process: nothing in memory


@pytest.fixture
def points():
    return np.random.default_rng(4).uniform(0, 1_000, size=(300, 2))


def test_a_second_run_reads_the_kept_catchments_instead_of_computing(tmp_path, points, monkeypatch):
    kept = CatchmentFiles(tmp_path)
    first = catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
    assert len(list(tmp_path.glob("*.npy"))) == 1
    catchments._CATCHMENTS.clear()  # a new process: nothing in memory

    def never(*args, **kwargs):
        raise AssertionError("the kept catchments should have been read")

    monkeypatch.setattr(catchments, "_delaunay", never)
    again = catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
    assert np.array_equal(first, again)


def test_other_points_or_another_study_area_are_computed_not_read(tmp_path, points):
    kept = CatchmentFiles(tmp_path)
    a = catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
    b = catchments.catchment_shares(points, box(0, 0, 500, 1_000), keep=kept)
    c = catchments.catchment_shares(points[:-1], box(0, 0, 1_000, 1_000), keep=kept)
    assert len(list(tmp_path.glob("*.npy"))) == 3
    assert not np.array_equal(a, b) and len(c) == len(points) - 1


def test_a_torn_or_foreign_file_is_computed_again(tmp_path, points):
    kept = CatchmentFiles(tmp_path)
    right = catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
    (path,) = tmp_path.glob("*.npy")
    for bad in (path.read_bytes()[:40], b"not a numpy file", b""):
        path.write_bytes(bad)
        catchments._CATCHMENTS.clear()
        again = catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
        assert np.array_equal(right, again)
    np.save(path, np.ones(7))  # the wrong length: not these points' catchments
    catchments._CATCHMENTS.clear()
    assert np.array_equal(
        right, catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
    )


def test_only_the_newest_files_are_kept_and_no_temporary_file_is_left(tmp_path):
    kept = CatchmentFiles(tmp_path)
    for i in range(KEEP_FILES + 5):
        kept.put(f"k{i}", np.full(3, i, dtype=float))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == KEEP_FILES and not any(".tmp" in n for n in names)
    assert kept.get(f"k{KEEP_FILES + 4}").tolist() == [KEEP_FILES + 4.0] * 3


def test_an_unwritable_folder_still_answers(tmp_path, points):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    kept = CatchmentFiles(blocker / "catchments")
    shares = catchments.catchment_shares(points, box(0, 0, 1_000, 1_000), keep=kept)
    assert shares.sum() == pytest.approx(1.0)


def test_keys_cannot_name_a_path_outside_the_folder(tmp_path):
    with pytest.raises(ValueError):
        CatchmentFiles(tmp_path).get("../../etc/passwd")


def test_the_cache_folder_follows_the_environment(tmp_path):
    assert cache_folder({"HOTSPOTS_CACHE": str(tmp_path)}) == tmp_path / "catchments"
    assert catchment_files({"HOTSPOTS_CACHE": "off"}) is None
    assert cache_folder({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "hotspots" / "catchments"


def test_the_loader_gives_the_chance_test_the_cache(tmp_path, monkeypatch):
    from hotspots.loader import DataSpec, load

    monkeypatch.setenv("HOTSPOTS_CACHE", str(tmp_path))
    prepared = load(DataSpec())
    assert isinstance(prepared.catchments, CatchmentFiles)
    assert prepared.catchments.folder == tmp_path / "catchments"
    monkeypatch.setenv("HOTSPOTS_CACHE", "off")
    assert load(DataSpec()).catchments is None
