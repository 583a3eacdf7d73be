"""The store keeps what it holds (issue 18, data side).

A batch that would shrink a stored month by more than a few per cent is refused
unless ``replace=True`` (``--replace``), the message showing both counts; files
with no usable rows add no batch; a failed first ingest leaves no empty
GeoPackage behind (and never removes one another ingest is writing); a month
already stored from another file is used once; three PostGIS ingests of the
same batch at once all succeed with the right counts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from boundaries import get_path
from hotspots._errors import HotspotsError
from hotspots.cli import main
from hotspots.store.address import StoreError
from hotspots.store.store import open_store
from tests.conftest import POLICE, POLICE_HEADER, REDDITCH_WARDS, ROOT, police_row
from tests.test_store import police_file

DEMO_WARDS = get_path("demo-wards")
OCTOBER = POLICE / "2018-10-west-mercia-street.csv"


@pytest.fixture(params=["gpkg", "postgis"])
def target(request, tmp_path) -> str:
    """A new, empty store on each backend."""
    if request.param == "gpkg":
        return str(tmp_path / "store.gpkg")
    return request.getfixturevalue("postgis_server").new_database()


def _stored(target: str) -> int:
    with open_store(target, create=False) as store:
        return int(store._query("SELECT COUNT(*) FROM incidents")[0][0])


# --------------------------------------------------------------------------- replacing is a decision


def test_a_much_smaller_batch_does_not_replace_the_stored_one(target, tmp_path):
    name = tmp_path / "2019-01-test-street.csv"
    with open_store(target) as store:
        store.ingest([police_file(name, 200)], wards_path=DEMO_WARDS)
        police_file(name, 100)  # the first 100 rows: a truncated copy
        with pytest.raises(StoreError) as err:
            store.ingest([name])
    message = str(err.value)
    assert "200" in message and "100" in message and "--replace" in message
    assert "police.uk/test/2019-01" in message
    assert _stored(target) == 200
    with open_store(target) as store:
        (result,) = store.ingest([name], replace=True)
    assert (result.status, result.stored) == ("replaced", 100)
    assert _stored(target) == 100


def test_a_slightly_different_batch_replaces_the_stored_one(target, tmp_path):
    name = tmp_path / "2019-01-test-street.csv"
    with open_store(target) as store:
        store.ingest([police_file(name, 200)], wards_path=DEMO_WARDS)
        (result,) = store.ingest([police_file(name, 198, seed=3)])  # a corrected month
    assert (result.status, result.stored) == ("replaced", 198)


def test_a_truncated_real_month_is_refused_by_the_cli_without_replace(shared_data, tmp_path):
    store = str(tmp_path / "s.gpkg")
    first = CliRunner().invoke(main, ["ingest", str(OCTOBER), "--wards", str(REDDITCH_WARDS),
                                      "--store", store])  # fmt: skip
    assert first.exit_code == 0, first.output
    before = _stored(store)
    cut = tmp_path / OCTOBER.name
    cut.write_text("\n".join(OCTOBER.read_text(encoding="utf-8").splitlines()[:1001]) + "\n")
    again = CliRunner().invoke(main, ["ingest", str(cut), "--store", store])
    assert again.exit_code == 1
    assert "Traceback" not in again.output
    assert f"{before:,}" in again.output and "--replace" in again.output
    assert _stored(store) == before
    forced = CliRunner().invoke(main, ["ingest", str(cut), "--store", store, "--replace"])
    assert forced.exit_code == 0, forced.output
    assert "(replaced)" in forced.output and _stored(store) < before


def _cut_mid_row(data: bytes, share: float) -> bytes:
    """The first ``share`` of a file's bytes, cut inside a row (a download or copy that stopped)."""
    cut = int(len(data) * share)
    while data[cut - 1 : cut] in (b"\n", b"\r", b","):  # inside a field, not at its end
        cut -= 1
    return data[:cut]


def test_a_copy_cut_short_does_not_replace_the_stored_batch_even_a_little(target, tmp_path):
    # 3 of 200 rows fewer is within the shrink limit (a corrected month may lose a few), but
    # a file ending inside a row is a truncated copy: replacing the batch would lose the rest.
    name = police_file(tmp_path / "2019-01-test-street.csv", 200)
    whole = name.read_bytes()
    with open_store(target) as store:
        store.ingest([name], wards_path=DEMO_WARDS)
        name.write_bytes(_cut_mid_row(whole, 0.985))
        with pytest.raises(StoreError) as err:
            store.ingest([name])
        assert _stored(target) == 200
        (forced,) = store.ingest([name], replace=True)
    message = str(err.value)
    assert "cut short" in message and "200" in message and "--replace" in message
    assert "police.uk/test/2019-01" in message
    assert forced.status == "replaced" and forced.rejected == 1
    assert _stored(target) == forced.stored < 200


def test_a_real_month_cut_short_by_3_percent_is_refused(shared_data, target, tmp_path):
    cut = tmp_path / OCTOBER.name
    cut.write_bytes(_cut_mid_row(OCTOBER.read_bytes(), 0.97))
    with open_store(target) as store:
        store.ingest([OCTOBER], wards_path=REDDITCH_WARDS)
        before = _stored(target)
        with pytest.raises(StoreError, match="cut short"):
            store.ingest([cut])
        assert _stored(target) == before and store.check().ok
        # the same cut copy into a store without the month: stored, its last row rejected
        store.ingest([cut], replace=True)
        (again,) = store.ingest([cut])
    assert again.status == "unchanged" and 0.95 * before < _stored(target) < before


def test_a_file_with_old_mac_line_endings_is_ingested_as_read(target, tmp_path):
    lf = police_file(tmp_path / "2019-01-test-street.csv", 40)
    cr = tmp_path / "mac" / lf.name
    cr.parent.mkdir()
    cr.write_bytes(lf.read_bytes().replace(b"\n", b"\r"))  # Excel for Mac's "CSV (Macintosh)"
    with open_store(target) as store:
        (result,) = store.ingest([cr], wards_path=DEMO_WARDS)
    assert (result.key, result.status, result.stored) == ("police.uk/test/2019-01", "added", 40)


def test_random_bytes_are_refused_with_a_message(target, tmp_path):
    junk = tmp_path / "2019-01-test-street.csv"
    junk.write_bytes(bytes(range(11, 256)) * 3)  # no NUL, no "\n": a "\r" in its first line
    with open_store(target) as store, pytest.raises(HotspotsError) as err:
        store.ingest([junk], wards_path=DEMO_WARDS)
        assert store.batches().empty
    assert str(junk) in str(err.value)


@pytest.mark.parametrize(
    "rows",
    [[], [police_row(crime="Burglary")] * 3],
    ids=["header only", "no ASB"],
)
def test_a_file_with_no_usable_rows_adds_no_batch(tmp_path, rows):
    path = tmp_path / "asb.csv"  # no police.uk name: the batch would be named by its contents
    path.write_text("\n".join([POLICE_HEADER, *rows]) + "\n")
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        (result,) = store.ingest([path], wards_path=DEMO_WARDS)
        assert result.stored == 0 and "no usable rows" in result.status
        assert len(store.batches()) == 0
        assert "unknown" not in result.line()


def test_a_failed_first_ingest_leaves_no_empty_store(tmp_path):
    store = tmp_path / "new.gpkg"
    missing = CliRunner().invoke(main, ["ingest", str(get_path("demo-incidents")),
                                        "--store", str(store)])  # no --wards  # fmt: skip
    assert missing.exit_code == 1
    assert not store.exists(), "an empty store was left behind"
    bad = tmp_path / "2019-01-x-street.csv"
    bad.write_bytes(b"\x00\x01binary")
    refused = CliRunner().invoke(main, ["ingest", str(bad), "--wards", str(DEMO_WARDS),
                                        "--store", str(store)])  # fmt: skip
    assert refused.exit_code == 1 and not store.exists()


def test_a_failed_first_ingest_never_removes_a_store_another_ingest_is_writing(tmp_path):
    """Two first ingests into one new file: the one that made it fails while the other writes."""
    from hotspots.cli.store import _writing

    store = tmp_path / "new.gpkg"
    first = _writing(str(store))
    first.__enter__()  # ingest A makes the new store ...
    with _writing(str(store)) as second:  # ... ingest B opens it to write ...
        failed = HotspotsError("A fails (no --wards)")
        assert first.__exit__(HotspotsError, failed, None) is False  # ... A fails and cleans up
        assert store.exists(), "A removed the store B is writing"
        second.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS)
    assert _stored(str(store)) > 6000


def test_a_failed_ingest_keeps_an_existing_store(tmp_path):
    store = tmp_path / "s.gpkg"
    ok = CliRunner().invoke(main, ["ingest", str(get_path("demo-incidents")), "--wards",
                                   str(DEMO_WARDS), "--store", str(store)])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "2019-01-x-street.csv"
    bad.write_bytes(b"\x00\x01binary")
    assert CliRunner().invoke(main, ["ingest", str(bad), "--store", str(store)]).exit_code == 1
    assert store.exists() and _stored(str(store)) > 6000


# --------------------------------------------------------------------------- already in the store


def test_a_month_stored_from_another_file_is_used_once(shared_data, tmp_path):
    """A renamed copy of a stored month (its batch named by its contents) adds nothing."""
    target = str(tmp_path / "s.gpkg")
    copy = tmp_path / "october-again.csv"
    shutil.copy(OCTOBER, copy)
    with open_store(target) as store:
        store.ingest([OCTOBER], wards_path=REDDITCH_WARDS)
        before = _stored(target)
        results = store.ingest([copy])
    assert _stored(target) == before
    assert [r.key for r in results] == ["police.uk/west-mercia/2018-10"]


def test_one_month_twice_in_one_ingest_is_one_batch_with_a_warning(tmp_path, caplog):
    name = police_file(tmp_path / "2019-01-test-street.csv", 30)
    copy = tmp_path / "again" / name.name
    copy.parent.mkdir()
    shutil.copy(name, copy)
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        results = store.ingest([name, copy], wards_path=DEMO_WARDS)
        assert store.check().ok
    assert [r.key for r in results] == ["police.uk/test/2019-01"] and _stored(target) == 30
    (warned,) = [r.getMessage() for r in caplog.records if "used once" in r.getMessage()]
    assert str(name) in warned and str(copy) in warned


def test_a_year_file_after_its_months_is_used_once(tmp_path):
    months = []
    for month, seed in (("2019-01", 0), ("2019-02", 1)):
        path = tmp_path / f"{month}-west-mercia-street.csv"
        police_file(path, 40, seed=seed)
        path.write_text(path.read_text().replace("2019-01", month))
        months.append(path)
    year = tmp_path / "west-mercia-2018-19.csv"  # named by its contents: West Mercia, 2 months
    year.write_text("\n".join([POLICE_HEADER, *(
        ln for p in months for ln in p.read_text().splitlines()[1:]
    )]) + "\n")  # fmt: skip
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        store.ingest(months, wards_path=DEMO_WARDS)
        results = store.ingest([year])
        assert store.check().ok
        assert sorted(store.batches()["batch_key"]) == [
            "police.uk/west-mercia/2019-01",
            "police.uk/west-mercia/2019-02",
        ]
    assert [r.stored for r in results] == [40, 40]
    assert _stored(target) == 80


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_a_nul_in_a_row_is_rejected_in_any_encoding_on_both_backends(target, tmp_path, encoding):
    # A UTF-16 (or UTF-8 with a byte-order mark) file with a NUL past its first 64 KiB kept
    # the NUL in a location: stored so by the GeoPackage, a psycopg DataError on PostGIS.
    name = police_file(tmp_path / "2019-01-test-street.csv", 600)  # about 90 KiB
    lines = name.read_text().split("\n")
    lines[-3] = lines[-3].replace("Unicorn Hill", "Unicorn\x00Hill")
    name.write_bytes("\n".join(lines).encode(encoding))
    with open_store(target) as store:
        (result,) = store.ingest([name], wards_path=DEMO_WARDS)
        reasons = store.rejects()["reason"].tolist()
        assert not store.tagged()["location"].str.contains("\x00").any()
    assert (result.stored, result.rejected) == (599, 1)
    assert reasons == ["a NUL byte (0x00) in the row: a damaged file?"]


# --------------------------------------------------------------------------- a new GeoPackage at once

AT_ONCE = """
import sys, time
from hotspots.store.store import open_store
start = float(sys.argv[4])
while time.time() < start:  # every process opens the new store at the same moment
    pass
with open_store(sys.argv[1]) as store:
    for r in store.ingest([sys.argv[3]], wards_path=sys.argv[2]):
        print(r.line())
"""


def test_one_file_ingested_by_four_processes_into_a_new_geopackage_at_once(tmp_path):
    # Seen trying it: the processes that found no file all set the new GeoPackage up, and
    # all but the first failed ('cannot be used as a hotspots store (table store_info already
    # exists)'; 6 runs in 10 with four processes).
    import time

    target = tmp_path / "new.gpkg"
    month = police_file(tmp_path / "2019-01-test-street.csv", 60)
    start = time.time() + 4  # past the processes' start-up (imports)
    procs = [subprocess.Popen([sys.executable, "-c", AT_ONCE, str(target), str(DEMO_WARDS),
                               str(month), str(start)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(4)]  # fmt: skip
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output
        assert "read 60, stored 60, rejected 0" in output
    with open_store(target, create=False) as store:
        assert store.check().ok and list(store.batches()["batch_key"]) == ["police.uk/test/2019-01"]
    assert _stored(str(target)) == 60


def test_setting_up_a_geopackage_another_process_has_just_set_up_changes_nothing(tmp_path):
    """The loser of that race, step by step: it found no file, then the winner made the store."""
    target = tmp_path / "new.gpkg"
    with open_store(target) as winner:
        winner.ingest([police_file(tmp_path / "2019-01-test-street.csv", 30)],
                      wards_path=DEMO_WARDS)  # fmt: skip
        version = winner.version()
        winner.backend._create()  # what the loser runs, having found no file
        assert winner.version() == version and _stored(str(target)) == 30


# --------------------------------------------------------------------------- parallel PostGIS ingests

PARALLEL = """
import sys
from hotspots.store.store import open_store
with open_store(sys.argv[1]) as store:
    for r in store.ingest(sys.argv[3:], wards_path=sys.argv[2]):
        print(r.line())
"""


def test_an_unchanged_batch_stored_again_alongside_is_reported_not_a_crash(target, tmp_path):
    # Seen in a fresh-clone run of the parallel test below: an ingest found a batch unchanged,
    # another stored the same batch again meanwhile (a new batch id), and the first looked its
    # counts up by the old id (IndexError). Here the other ingest is a stale snapshot's ids.
    name = police_file(tmp_path / "2019-01-test-street.csv", 50)
    with open_store(target) as store:
        store.ingest([name], wards_path=DEMO_WARDS)
        seen = store.existing_batches()
        stale = {key: (batch_id + 1000, *rest) for key, (batch_id, *rest) in seen.items()}
        store.existing_batches = lambda: stale
        (result,) = store.ingest([name])
    assert (result.status, result.stored) == ("unchanged", 50)


def test_three_parallel_postgis_ingests_of_one_batch_all_succeed(postgis_server, tmp_path):
    url = postgis_server.new_database()
    shared = police_file(tmp_path / "2019-01-test-street.csv", 300)
    own = []
    for i in range(3):
        path = tmp_path / f"2019-0{i + 2}-own{i}-street.csv"
        police_file(path, 20 + i, seed=i + 10)
        path.write_text(path.read_text().replace("2019-01", f"2019-0{i + 2}"))
        own.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PARALLEL, url, str(DEMO_WARDS), str(shared), str(own[i])],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(3)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output
        assert "Traceback" not in output
        assert "police.uk/test/2019-01]: read 300, stored 300, rejected 0" in output
    with open_store(url) as store:
        batches = store.batches().set_index("batch_key")["rows_stored"].to_dict()
        assert store.check().ok
    assert batches == {"police.uk/test/2019-01": 300, "police.uk/own0/2019-02": 20,
                       "police.uk/own1/2019-03": 21, "police.uk/own2/2019-04": 22}  # fmt: skip
