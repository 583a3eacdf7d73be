"""Every input used once, and every file any command reads read by all (issue 18, data side).

The same police.uk force-month given twice (the same file twice, a folder and
the zip of the same months, a financial-year file and its monthly files) is
used once, with a one-line warning naming both files; the same council export
twice likewise. Undecodable bytes and NUL bytes reject their row with its line
and a reason, never the file or a traceback; ``ingest`` reads the semicolon,
tab and UTF-16 police.uk files that the other commands read.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from boundaries import get_path
from hotspots.analysis.wards import ward_table
from hotspots.cli import main
from hotspots.loader import DataSpec, load
from hotspots.read.incidents import read_incidents
from tests.conftest import POLICE, POLICE_HEADER, REDDITCH_WARDS, police_row

OCTOBER = "2018-10-west-mercia-street.csv"
AUTUMN = [f"2018-{m}-west-mercia-street.csv" for m in ("10", "11", "12")]


def _table(inputs) -> pd.DataFrame:
    prepared = load(DataSpec(inputs=tuple(Path(p) for p in inputs), wards=REDDITCH_WARDS))
    return ward_table(prepared.incidents, prepared.wards), prepared


def _total(table: pd.DataFrame) -> int:
    return int(table.loc[table["ward"] == "Grand Total", "2018-19"].iloc[0])


# --------------------------------------------------------------------------- one copy of each month


def test_the_same_month_twice_gives_the_single_copy_ward_table(shared_data, caplog):
    single, _ = _table([POLICE / OCTOBER])
    twice, prepared = _table([POLICE / OCTOBER, POLICE / OCTOBER])
    pd.testing.assert_frame_equal(twice, single)
    assert abs(_total(single) - 250) <= 10  # the data README's Redditch count for 2018-10
    notes = [n for n in prepared.load.notes if "used once" in n]
    assert len(notes) == 1 and "\n" not in notes[0]
    assert notes[0].count(OCTOBER) == 2  # names both files
    assert "west-mercia 2018-10" in notes[0]


def test_a_copy_under_another_name_is_used_once(shared_data, tmp_path):
    copy = tmp_path / "october-again.csv"
    shutil.copy(POLICE / OCTOBER, copy)
    single, _ = _table([POLICE / OCTOBER])
    twice, prepared = _table([POLICE / OCTOBER, copy])
    pd.testing.assert_frame_equal(twice, single)
    (note,) = [n for n in prepared.load.notes if "used once" in n]
    assert str(copy) in note and str(POLICE / OCTOBER) in note


def test_a_folder_and_the_zip_of_the_same_months_give_the_single_copy(shared_data, tmp_path):
    folder = tmp_path / "autumn"
    folder.mkdir()
    for name in AUTUMN:
        shutil.copy(POLICE / name, folder / name)
    archive = tmp_path / "autumn.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in AUTUMN:
            z.write(POLICE / name, f"2018-{name[5:7]}/{name}")
    single, _ = _table([folder])
    both, prepared = _table([folder, archive])
    pd.testing.assert_frame_equal(both, single)
    assert abs(_total(single) - (250 + 199 + 228)) <= 30
    assert len([n for n in prepared.load.notes if "used once" in n]) == 3  # one line per month


def test_a_year_file_and_its_monthly_files_give_the_single_copy(shared_data, tmp_path):
    """A hand-joined file of three months (as a financial-year download) plus the months."""
    lines = [POLICE_HEADER]
    for name in AUTUMN:
        lines += (POLICE / name).read_text(encoding="utf-8").splitlines()[1:]
    year = tmp_path / "west-mercia-2018-19.csv"
    year.write_text("\n".join(lines) + "\n", encoding="utf-8")
    single, _ = _table([year])
    both, prepared = _table([year, *(POLICE / n for n in AUTUMN)])
    pd.testing.assert_frame_equal(both, single)
    assert prepared.load.rows_read == sum(1 for _ in lines) - 1  # the months read once
    notes = [n for n in prepared.load.notes if "used once" in n]
    assert len(notes) == 3 and all(str(year) in n for n in notes)


def test_different_forces_of_one_month_are_both_kept(tmp_path, write_police):
    mercia = write_police([police_row()] * 3, name="2018-10-west-mercia-street.csv")
    other = tmp_path / "2018-10-warwickshire-street.csv"
    other.write_text(
        POLICE_HEADER + "\n"
        + "\n".join([police_row().replace("West Mercia Police", "Warwickshire Police")] * 2) + "\n"
    )  # fmt: skip
    found = read_incidents([mercia, other])
    assert found.kept == 5 and not [n for n in found.notes if "used once" in n]


def test_the_same_council_export_twice_is_used_once(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("Ref,Date,Easting,Northing\nA1,31/10/2018,404100,267500\n"
                    "A2,01/11/2018,404100,267500\n")  # fmt: skip
    copy = tmp_path / "cases-again.csv"
    shutil.copy(path, copy)
    found = read_incidents([path, copy])
    assert found.incidents["incident_id"].tolist() == ["A1", "A2"]
    (note,) = [n for n in found.notes if "used once" in n]
    assert str(path) in note and str(copy) in note


def test_council_rows_given_again_in_a_later_export_are_used_once(tmp_path):
    first = tmp_path / "cases-oct.csv"
    first.write_text("Ref,Date,Easting,Northing\nA1,31/10/2018,404100,267500\n"
                     "A2,01/11/2018,404100,267500\n")  # fmt: skip
    second = tmp_path / "cases-nov.csv"
    second.write_text("Ref,Date,Easting,Northing\nA2,01/11/2018,404100,267500\n"
                      "A3,02/11/2018,404100,267500\n")  # fmt: skip
    found = read_incidents([first, second])
    assert found.incidents["incident_id"].tolist() == ["A1", "A2", "A3"]
    (note,) = [n for n in found.notes if "used once" in n]
    assert str(first) in note and str(second) in note and "1 case" in note


def test_council_and_police_uk_months_that_overlap_are_reported(tmp_path, write_police):
    police = write_police([police_row()] * 2)
    council = tmp_path / "cases.csv"
    council.write_text("Ref,Date,Easting,Northing\nA1,31/10/2018,404100,267500\n")
    found = read_incidents([police, council])
    assert found.kept == 3
    (note,) = [n for n in found.notes if "overlap" in n]
    assert str(council) in note and "2018-10" in note


def test_cli_wards_with_a_month_twice_warns_and_counts_once(shared_data, tmp_path, caplog):
    out = tmp_path / "wards.csv"
    args = ["wards", str(POLICE / OCTOBER), str(POLICE / OCTOBER), "--wards",
            str(REDDITCH_WARDS), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    twice = pd.read_csv(out)
    warned = [
        r for r in caplog.records if r.levelname == "WARNING" and "used once" in r.getMessage()
    ]
    assert len(warned) == 1  # the CLI shows warnings on stderr
    assert CliRunner().invoke(main, [*args[:2], *args[3:]]).exit_code == 0
    pd.testing.assert_frame_equal(twice, pd.read_csv(out))


def test_the_web_app_counts_a_month_given_twice_once(shared_data):
    from webapp import create_app

    def incidents(inputs: list[Path]) -> int:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                          "HOTSPOTS_INPUTS": [str(p) for p in inputs],
                          "HOTSPOTS_WARDS": str(REDDITCH_WARDS)})  # fmt: skip
        return app.test_client().get("/api/incidents/summary?fy=2018-19").get_json()["incidents"]

    assert incidents([POLICE / OCTOBER] * 2) == incidents([POLICE / OCTOBER]) > 200


# --------------------------------------------------------------------------- bytes


def _council_bytes(tmp_path, row2: bytes) -> Path:
    path = tmp_path / "cases.csv"
    path.write_bytes(b"Ref,Date,Easting,Northing,Location\r\n"
                     b"A1,31/10/2018,404100,267500,Market Place\r\n"
                     + row2 + b"\r\nA3,02/11/2018,404100,267500,Church Green\r\n")  # fmt: skip
    return path


def test_a_byte_neither_utf8_nor_cp1252_rejects_its_row_with_a_reason(tmp_path):
    path = _council_bytes(tmp_path, b"A2,01/11/2018,404100,267500,Caf\x81 Row")
    found = read_incidents([path])
    assert found.incidents["incident_id"].tolist() == ["A1", "A3"]
    (reject,) = found.rejects.to_dict("records")
    assert reject["line"] == 3 and "0x81" in reject["reason"]


def test_a_nul_byte_rejects_its_row_not_the_file(tmp_path):
    path = _council_bytes(tmp_path, b"A2,01/11/2018,404100,267500,Market\x00 Place")
    found = read_incidents([path])
    assert found.incidents["incident_id"].tolist() == ["A1", "A3"]
    (reject,) = found.rejects.to_dict("records")
    assert reject["line"] == 3 and "NUL" in reject["reason"]


def test_a_nul_byte_in_a_real_police_file_rejects_one_row(shared_data, tmp_path):
    lines = (POLICE / OCTOBER).read_bytes().split(b"\n")
    at = next(
        i for i, ln in enumerate(lines) if b",Anti-social behaviour," in ln and b"On or near" in ln
    )
    lines[at] = lines[at].replace(b"On or near", b"On or\x00 near", 1)
    path = tmp_path / OCTOBER
    path.write_bytes(b"\n".join(lines))
    found = read_incidents([path])
    original = read_incidents([POLICE / OCTOBER])
    assert (found.kept, found.rejected) == (original.kept - 1, original.rejected + 1)
    (reject,) = found.rejects.loc[found.rejects["reason"].str.contains("NUL")].to_dict("records")
    assert reject["line"] == at + 1 and "\x00" not in str(reject)


@pytest.mark.parametrize("command", ["wards", "clusters"])
@pytest.mark.parametrize("bad", [b"Caf\x81 Row", b"Market\x00 Place"])
def test_cli_commands_reject_the_row_without_a_traceback(tmp_path, command, bad):
    path = _council_bytes(tmp_path, b"A2,01/11/2018,404100,267500," + bad)
    args = [command, str(path), "--wards", str(get_path("demo-wards")), "-o",
            str(tmp_path / ("out.csv" if command == "wards" else "out.geojson"))]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output and not isinstance(result.exception, UnicodeError)
    assert result.exit_code == 0, result.output
    assert "rejected 1" in result.output


@pytest.mark.parametrize("bad", [b"Caf\x81 Row", b"Market\x00 Place"])
def test_ingest_rejects_the_row_without_a_traceback(tmp_path, bad):
    path = _council_bytes(tmp_path, b"A2,01/11/2018,404100,267500," + bad)
    store = tmp_path / "s.gpkg"
    result = CliRunner().invoke(main, ["ingest", str(path), "--wards", str(get_path("demo-wards")),
                                       "--store", str(store)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "stored 2, rejected 1" in result.output


def test_the_web_app_reads_a_file_with_a_bad_byte(tmp_path):
    from webapp import create_app

    path = _council_bytes(tmp_path, b"A2,01/11/2018,404100,267500,Caf\x81 Row")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_INPUTS": [str(path)],
                      "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip
    response = app.test_client().get("/api/incidents/summary?fy=2018-19")
    assert response.status_code == 200 and response.get_json()["incidents"] == 2


# --------------------------------------------------------------------------- one reader for ingest


def _police_text(rows: int = 3) -> list[list[str]]:
    header = POLICE_HEADER.split(",")
    return [header, *([f.replace(";", " ") for f in police_row().split(",")] for _ in range(rows))]


@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(";", "utf-8"), ("\t", "utf-8"), (",", "utf-16")]
)
def test_ingest_reads_what_the_other_commands_read(tmp_path, delimiter, encoding):
    path = tmp_path / "2018-10-west-mercia-street.csv"
    path.write_bytes("\r\n".join(delimiter.join(r) for r in _police_text()).encode(encoding) + (
        "\r\n".encode(encoding)[2:] if encoding == "utf-16" else b"\r\n"))  # fmt: skip
    assert read_incidents([path]).kept == 3  # what clusters, wards and serve read
    store = tmp_path / "s.gpkg"
    result = CliRunner().invoke(main, ["ingest", str(path), "--wards", str(get_path("demo-wards")),
                                       "--store", str(store)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "police.uk/west-mercia/2018-10" in result.output and "stored 3" in result.output


def test_ingest_names_a_semicolon_file_without_a_police_name_by_its_contents(tmp_path):
    path = tmp_path / "asb-october.csv"
    path.write_text("\n".join(";".join(r) for r in _police_text()) + "\n")
    store = tmp_path / "s.gpkg"
    result = CliRunner().invoke(main, ["ingest", str(path), "--wards", str(get_path("demo-wards")),
                                       "--store", str(store)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "police.uk/west-mercia/2018-10" in result.output


def test_a_header_only_copy_of_a_month_does_not_hide_the_month(tmp_path):
    name = "2018-10-west-mercia-street.csv"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / name).write_text(POLICE_HEADER + "\n")
    (tmp_path / "b" / name).write_text("\n".join([POLICE_HEADER, *[police_row()] * 3]) + "\n")
    found = read_incidents([tmp_path / "a" / name, tmp_path / "b" / name])
    assert found.kept == 3 and not [n for n in found.notes if "used once" in n]


def test_qualifiers_are_read_with_the_same_reader(tmp_path):
    """The deck's qualifier columns (youth, drugs, alcohol) from a semicolon export with a bad byte."""
    from hotspots.read.qualifiers import read_qualifiers

    path = tmp_path / "cases.csv"
    path.write_bytes(b"Ref;Date;Easting;Northing;Youth;Drugs\r\nA1;31/10/2018;404100;267500;Y;\r\n"
                     b"A2;31/10/2018;404100;267500;Caf\x81;Yes\r\nA3;01/11/2018;404100;267500;;Yes\r\n")  # fmt: skip
    flags = read_qualifiers([path])
    assert flags["line"].tolist() == [2, 4]  # line 3 is rejected for its byte
    assert flags[["youth", "drugs"]].values.tolist() == [[True, False], [False, True]]
