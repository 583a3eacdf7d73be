"""Reading and validating police.uk CSVs and council exports: nothing is lost."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from hotspots._errors import GeocodingError, HotspotsError, InputFileError
from hotspots.cli import main
from hotspots.read._csv import expand_sources
from hotspots.read._rows import INCIDENT_COLUMNS
from hotspots.read.council import CouncilColumns, read_council_csv
from hotspots.read.geocode import PostcodeDirectory
from hotspots.read.incidents import POLICE_COLUMNS, read_incidents, read_police_csv
from tests.conftest import POLICE, POLICE_HEADER, police_row

# Each bad row, and the words its reason must contain.
BAD_ROWS = {
    "missing": (police_row(lon="", lat=""), "missing coordinates"),
    "unparseable": (police_row(lon="abc", lat="52.3"), "unparseable coordinates: longitude 'abc'"),
    "zero": (police_row(lon="0", lat="0"), "point at (0, 0)"),
    "outside": (police_row(lon="-40.5", lat="12.1"), "outside Great Britain"),
    "swapped": (police_row(lon="52.306", lat="-1.94"), "latitude and longitude look swapped"),
    "bad month": (police_row(month="Oct 2018"), "unparseable Month 'Oct 2018' (expected YYYY-MM)"),
    "no month": (police_row(month=""), "missing Month"),
}


def test_police_csv_schema_crs_and_line_numbers(write_police):
    path = write_police([police_row(), police_row(crime="Burglary"), police_row(lon="")])
    load = read_police_csv(path)
    assert list(load.incidents.columns) == INCIDENT_COLUMNS
    assert load.incidents.crs.to_epsg() == 27700
    assert (load.rows_read, load.selected, load.kept, load.rejected) == (3, 2, 1, 1)
    row = load.incidents.iloc[0]
    assert row["line"] == 2 and row["month"] == "2018-10" and row["date_precision"] == "month"
    assert row["incident_id"] == f"{path.name}:2"  # ASB rows have no Crime ID
    assert abs(row.geometry.x - 404188) < 2 and abs(row.geometry.y - 267544) < 2
    assert load.rejects["line"].tolist() == [4]


def test_crime_types_option(write_police):
    path = write_police([police_row(), police_row(crime="Burglary"), police_row(crime="Drugs")])
    assert read_police_csv(path, crime_types=["Burglary", "Drugs"]).kept == 2
    assert read_police_csv(path, crime_types=None).kept == 3


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_bad_row_is_rejected_with_its_reason(write_police, case):
    bad, words = BAD_ROWS[case]
    load = read_police_csv(write_police([police_row(), bad]))
    assert load.kept == 1
    assert load.rejects["line"].tolist() == [3]
    assert words in load.rejects["reason"].iloc[0]
    assert load.rejects["Location"].iloc[0] == "On or near Unicorn Hill"  # the row itself is kept


def test_cli_writes_every_bad_row_to_the_rejects_file(write_police, tmp_path):
    rows = [police_row()] + [bad for bad, _ in BAD_ROWS.values()] + [police_row()]
    path = write_police(rows)
    wards = tmp_path / "wards.geojson"
    from boundaries import get_path

    wards.write_bytes(get_path("demo-wards").read_bytes())
    out = tmp_path / "out" / "c.geojson"
    result = CliRunner().invoke(
        main, ["clusters", str(path), "--wards", str(wards), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    n_bad = len(BAD_ROWS)
    assert (
        f"read {len(rows)} rows from 1 file(s); {len(rows)} selected; kept 2; rejected {n_bad}"
        in (result.output)
    )
    rejects = pd.read_csv(out.with_name("c.rejects.csv"), dtype=str, keep_default_na=False)
    assert rejects["line"].astype(int).tolist() == list(range(3, 3 + n_bad))
    assert set(rejects["source"]) == {str(path)}
    for (_, words), reason in zip(BAD_ROWS.values(), rejects["reason"]):
        assert words in reason
    assert list(rejects.columns[:3]) == ["source", "line", "reason"]


def test_rerun_overwrites_rejects_not_duplicates(write_police, tmp_path):
    path = write_police([police_row(), police_row(lon="")])
    rejects = tmp_path / "r.csv"
    args = ["wards", str(path), "--wards", str(tmp_path / "w.geojson"), "--rejects", str(rejects),
            "-o", str(tmp_path / "t.csv")]  # fmt: skip
    from boundaries import get_path

    (tmp_path / "w.geojson").write_bytes(get_path("demo-wards").read_bytes())
    for _ in range(2):
        assert CliRunner().invoke(main, args).exit_code == 0
    assert len(pd.read_csv(rejects)) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is not a CSV text file"),
        (b"Crime ID,Month,Longitude\nx,2018-10,-1.9\n", "Expected a police.uk street-level CSV"),
        (b"\xff\xfeM\x00o\x00" + b"\x00" * 40, "is not a CSV text file"),  # UTF-16 cut short
        (b"M\x00o\x00n\x00t\x00h\x00,\x00", "a UTF-16 export needs its byte-order mark"),
    ],
)
def test_whole_file_errors_name_the_file_and_what_was_expected(tmp_path, content, words):
    path = tmp_path / "2018-10-bad-street.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as err:
        read_police_csv(path)
    assert str(path) in str(err.value)
    assert words in str(err.value)


def test_cli_reports_a_bad_file_without_a_traceback(tmp_path):
    path = tmp_path / "2018-10-bad-street.csv"
    path.write_text("Crime ID,Month,Longitude\nx,2018-10,-1.9\n")
    result = CliRunner().invoke(main, ["wards", str(path), "--wards", "nowhere.geojson"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_missing_wards_option_says_what_to_pass(write_police):
    result = CliRunner().invoke(main, ["clusters", str(write_police([police_row()]))])
    assert result.exit_code == 1
    assert "--wards FILE is required" in result.output


def test_line_numbers_survive_quoted_newlines(tmp_path):
    path = tmp_path / "x-street.csv"
    path.write_text(
        POLICE_HEADER + "\n"
        + police_row(location='"On or near\nTwo Lines"') + "\n"
        + police_row(lon="") + "\n"
    )  # fmt: skip
    assert read_police_csv(path).rejects["line"].tolist() == [4]


def test_folder_zip_and_many_files(write_police, tmp_path):
    a = write_police([police_row(), police_row()], "2018-10-x-street.csv")
    b = write_police([police_row(month="2018-11")], "2018-11-x-street.csv")
    (tmp_path / "2018-10-x-outcomes.csv").write_text("not read\n")
    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(a, "2018-10/2018-10-x-street.csv")
        z.write(b, "2018-11/2018-11-x-street.csv")
        z.writestr("2018-10/2018-10-x-outcomes.csv", "Crime ID\n")
    for inputs in ([a, b], [tmp_path], [archive]):
        load = read_incidents(inputs)
        assert load.kept == 3 and len(load.files) == 2
    assert expand_sources([archive])[0].name.endswith("police.zip:2018-10/2018-10-x-street.csv")
    with pytest.raises(InputFileError, match="does not exist"):
        expand_sources([tmp_path / "nope.csv"])


def test_council_export_bng_lonlat_and_postcodes(tmp_path):
    path = tmp_path / "council.csv"
    path.write_text(
        "Case Ref,Date Reported,ASB Type,Easting,Northing,Longitude,Latitude,Post Code\n"
        "C1,31/10/2018 21:15,Youths,404100,267500,,,\n"
        "C2,01/11/2018,Noise,,,-1.94,52.306,\n"
        "C3,02/11/2018,Noise,,,,,b974ab\n"
        "C4,03/11/2018,Noise,,,,,ZZ9 9ZZ\n"
        "C5,,Noise,404100,267500,,,\n",
        encoding="utf-8",
    )
    directory = PostcodeDirectory(points={"B97 4AB": (404000.0, 267000.0)})
    load = read_council_csv(path, geocoder=directory)
    assert load.incidents["incident_id"].tolist() == ["C1", "C2", "C3"]
    assert load.incidents["date_precision"].tolist() == ["datetime", "day", "day"]
    assert load.incidents["category"].tolist() == ["Youths", "Noise", "Noise"]
    assert load.incidents.geometry.iloc[2].coords[0] == (404000.0, 267000.0)
    assert load.rejects["line"].tolist() == [5, 6]
    assert load.geocoded == {"postcode": (1, 2)}
    assert "geocoded 1 of 2 by postcode (50.0%)" in load.summary()
    assert load.rejects["reason"].tolist() == [
        "postcode 'ZZ9 9ZZ' not found by the postcode directory",
        "missing date",
    ]


def test_council_postcodes_without_a_directory_say_how_to_fix(tmp_path):
    path = tmp_path / "council.csv"
    path.write_text("Date,Postcode\n01/11/2018,B97 4AB\n")
    with pytest.raises(GeocodingError, match="--postcodes FILE"):
        read_council_csv(path)


def test_council_export_without_a_place_column_is_refused(tmp_path):
    path = tmp_path / "council.csv"
    path.write_text("Date,Notes\n01/11/2018,loud music\n")
    with pytest.raises(InputFileError, match="has no column for a place"):
        read_council_csv(path)


def test_named_columns_override_detection(tmp_path):
    path = tmp_path / "council.csv"
    path.write_text("When,What,E,N\n01/11/2018,Noise,404100,267500\n")
    cols = CouncilColumns(date="When", category="What", easting="E", northing="N")
    assert read_council_csv(path, columns=cols).kept == 1
    with pytest.raises(HotspotsError, match="'Nope' is not in the file"):
        read_council_csv(path, columns=CouncilColumns(date="Nope"))


def test_real_police_file_counts(shared_data):
    load = read_police_csv(POLICE / "2018-10-west-mercia-street.csv")
    assert load.rows_read == 11006
    asb = load.incidents[load.incidents["lsoa_name"].str.startswith("Redditch ")]
    assert len(asb) == 250  # as the data's README says
    assert load.kept + load.rejected == load.selected
    assert set(load.rejects["reason"]) <= {"missing coordinates (no longitude/latitude)"}


# --------------------------------------------------------------------------- row-level faults


def _real_with_extra_comma(tmp_path):
    """The real October file with one ASB row given an extra, unquoted comma in its Location."""
    lines = (POLICE / "2018-10-west-mercia-street.csv").read_text(encoding="utf-8").splitlines()
    target = next(
        i for i, ln in enumerate(lines)
        if ",Anti-social behaviour," in ln and ",On or near " in ln and i > 250
    )  # fmt: skip
    lines[target] = lines[target].replace(",On or near ", ",On or near Flat 2, ", 1)
    path = tmp_path / "2018-10-west-mercia-street.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, target + 1, lines[target]


def test_extra_comma_in_a_real_file_rejects_that_row_only(shared_data, tmp_path):
    original = read_police_csv(POLICE / "2018-10-west-mercia-street.csv")
    path, line, text = _real_with_extra_comma(tmp_path)
    load = read_police_csv(path)
    assert load.rows_read == original.rows_read == 11006
    assert load.selected == original.selected
    assert load.kept == original.kept - 1
    assert load.kept + load.rejected == load.selected
    row = load.rejects[load.rejects["line"] == line]
    assert len(row) == 1
    assert (
        row["reason"].iloc[0] == "13 fields where the header has 12: an unquoted comma in a value?"
    )
    assert ",".join(row.iloc[0][list(POLICE_COLUMNS)]) == text  # nothing of the row is lost
    assert line not in set(load.incidents["line"])
    # the other rows keep their line numbers
    kept_lines = set(load.incidents["line"])
    assert kept_lines == set(original.incidents["line"]) - {line}


@pytest.mark.parametrize(
    ("rows", "tail", "line", "words"),
    [
        (
            [police_row(), police_row()[:40], police_row()],
            "\n",
            3,
            "4 fields where the header has 12",
        ),
        ([police_row(), police_row()[:40]], "", 3, "the last row is cut short (4 of 12 fields"),
        ([police_row(), POLICE_HEADER, police_row()], "\n", 3, "a repeated header row"),
        (
            [police_row(), police_row(location='"On or near, Hill')],
            "\n",
            3,
            "a quote opened on line 3",
        ),
    ],
    ids=["too few fields", "truncated last row", "repeated header", "unclosed quote"],
)
def test_row_faults_are_rejects_with_their_line(tmp_path, rows, tail, line, words):
    path = tmp_path / "2018-10-x-street.csv"
    path.write_text("\n".join([POLICE_HEADER, *rows]) + tail, encoding="utf-8")
    load = read_police_csv(path)
    assert load.kept == len(rows) - 1
    assert load.rejects["line"].tolist() == [line]
    assert words in load.rejects["reason"].iloc[0]
    assert load.rows_read == load.selected == load.kept + load.rejected == len(rows)


def test_faults_in_council_exports_too(tmp_path):
    path = tmp_path / "council.csv"
    path.write_text(
        "Ref,Date,Easting,Northing\nA1,01/11/2018,404100,267500\n"
        "A2,01/11/2018,404,100,267500\n\nA3,02/11/2018,404100,267500\n"
    )
    load = read_council_csv(path)
    assert load.incidents["line"].tolist() == [2, 5]
    assert load.rejects[["line", "reason"]].values.tolist() == [
        [3, "5 fields where the header has 4: an unquoted comma in a value?"]
    ]


def test_header_only_and_no_rows_of_the_type_give_a_warning(write_police, caplog):
    empty = write_police([], "2018-10-empty-street.csv")
    load = read_police_csv(empty)
    assert load.kept == 0 and load.notes == (f"{empty}: holds a header and no data rows",)
    burglary = write_police([police_row(crime="Burglary")] * 3, "2018-10-b-street.csv")
    load = read_incidents([burglary])
    assert load.notes == (
        f"{burglary}: no rows of crime type 'Anti-social behaviour' among its 3 rows "
        "(it holds: Burglary 3); choose with --crime-type",
    )
    assert any("no rows of crime type" in r.message for r in caplog.records)
    council = burglary.with_name("council.csv")
    council.write_text("Date,Easting,Northing\n")
    assert read_incidents([council]).notes == (f"{council}: holds a header and no data rows",)


def test_nothing_usable_gives_a_warning(write_police):
    path = write_police([police_row(lon=""), police_row(lon="")])
    assert read_police_csv(path).notes == (
        f"{path}: none of its 2 selected row(s) could be used; the rejects file says why",
    )


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(tmp_path, delimiter):
    path = tmp_path / "council.csv"
    rows = [["Ref", "Date", "Easting", "Northing", "Notes"],
            ["A1", "31/10/2018", "404100", "267500", "a, b"],
            ["A2", "01/11/2018", "404100", "267500", '"quoted"']]  # fmt: skip
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n")
    load = read_incidents([path])
    assert load.incidents["incident_id"].tolist() == ["A1", "A2"]
    assert load.incidents["month"].tolist() == ["2018-10", "2018-11"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_a_bom_is_read(tmp_path, encoding):
    path = tmp_path / "council.csv"
    text = "Ref,Date,Easting,Northing,Location\r\nA1,31/10/2018,404100,267500,Café Row\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    load = read_incidents([path])
    assert load.incidents["location"].tolist() == ["Café Row"]


def test_messages_quote_at_most_about_200_characters_of_a_header(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_text("x" * 3_000_000)
    with pytest.raises(InputFileError) as err:
        read_incidents([path])
    assert len(str(err.value)) - len(str(path)) < 650
    assert "(1 column(s), 3,000,004 characters)" in str(err.value)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"column {i}" for i in range(5000)) + "\n")
    with pytest.raises(InputFileError) as err:
        read_incidents([wide])
    assert len(str(err.value)) - len(str(wide)) < 650 and "5,000 column(s)" in str(err.value)


def test_messages_name_only_options_that_exist(tmp_path):
    path = tmp_path / "council.csv"
    path.write_text("When,Notes\n01/11/2018,loud music\n")
    with pytest.raises(InputFileError) as err:
        read_council_csv(path)
    assert "--column date='Date Reported' --column postcode='Post Code'" in str(err.value)
    assert "--date-col" not in str(err.value) and "--postcode-col" not in str(err.value)
    with pytest.raises(HotspotsError, match=r"Name a column with --column date='NAME'"):
        read_council_csv(path, columns=CouncilColumns(date="Nope"))


# --------------------------------------------------------------------------- dates


def _council(tmp_path, dates, name="council.csv"):
    path = tmp_path / name
    body = "".join(f"C{i},{d},Youths,404100,267500\n" for i, d in enumerate(dates))
    path.write_text("Ref,Date Reported,Type,Easting,Northing\n" + body, encoding="utf-8")
    return path


def _labels(load):
    from hotspots.analysis.seasons import add_season_columns

    t = add_season_columns(load.incidents)
    return list(zip(t["financial_year"], t["season_label"]))


DATE_FILES = {
    # ISO 8601: year-month-day, never day-first (2019-03-05 is 5 March, in 2018-19)
    "iso": (
        ["2019-03-05 10:00", "2018-04-01", "2019-03-31T23:59:59", "2018-12-01T00:00", "2018-07-04"],
        [("2018-19", "spring 2019"), ("2018-19", "spring 2018"), ("2018-19", "spring 2019"),
         ("2018-19", "winter 2019"), ("2018-19", "summer 2018")],
    ),
    # A column that can only be month first (04/22/2018): 04/07/2018 is 7 April, not 4 July
    "us": (
        ["04/22/2018", "04/07/2018", "03/31/2019 9:15 PM", "12/01/2018", "02/28/2019"],
        [("2018-19", "spring 2018"), ("2018-19", "spring 2018"), ("2018-19", "spring 2019"),
         ("2018-19", "winter 2019"), ("2018-19", "winter 2019")],
    ),
    # UK day-first, the default for slash dates
    "day-first": (
        ["05/03/2019 10:00", "01/04/2018", "31/03/2019", "01/12/2018", "04/07/2018 23:59"],
        [("2018-19", "spring 2019"), ("2018-19", "spring 2018"), ("2018-19", "spring 2019"),
         ("2018-19", "winter 2019"), ("2018-19", "summer 2018")],
    ),
    # Mixed zones: converted to Europe/London before the labels are taken
    "mixed-zone": (
        ["2018-10-31T21:15:00Z", "2018-10-31T21:15:00+01:00", "2018-10-31 21:15",
         "2019-03-31T23:30:00Z",        # 00:30 BST on 1 April 2019: 2019-20
         "2018-11-30T23:30:00-05:00",   # 04:30 GMT on 1 December: winter
         "2018-08-31T23:30:00+00:00"],  # 00:30 BST on 1 September: autumn
        [("2018-19", "autumn 2018"), ("2018-19", "autumn 2018"), ("2018-19", "autumn 2018"),
         ("2019-20", "spring 2019"), ("2018-19", "winter 2019"), ("2018-19", "autumn 2018")],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(DATE_FILES))
def test_date_files_give_the_right_year_and_season_for_every_row(tmp_path, case):
    dates, expected = DATE_FILES[case]
    load = read_incidents([_council(tmp_path, dates)])
    assert load.rejected == 0, load.rejects
    assert _labels(load) == expected


def test_mixed_zones_are_converted_to_uk_time(tmp_path):
    dates, _ = DATE_FILES["mixed-zone"]
    load = read_council_csv(_council(tmp_path, dates))
    assert load.incidents["date"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2018-10-31 21:15", "2018-10-31 20:15", "2018-10-31 21:15",
        "2019-04-01 00:30", "2018-12-01 04:30", "2018-09-01 00:30",
    ]  # fmt: skip
    assert any("converted to UK time (Europe/London)" in n for n in load.notes)


def test_month_first_column_is_said_in_the_notes(tmp_path):
    path = _council(tmp_path, DATE_FILES["us"][0])
    load = read_council_csv(path)
    assert load.notes[0] == (
        f"{path}: dates in column 'Date Reported' read month first (mm/dd/yyyy): "
        "some cannot be day first; pass --date-format dmy if that is wrong"
    )


def test_a_date_that_does_not_fit_its_column_is_rejected(tmp_path):
    path = _council(tmp_path, ["31/10/2018", "04/22/2018", "2018-10-31", "31/02/2018", "soon"])
    load = read_council_csv(path)
    assert load.incidents["incident_id"].tolist() == ["C0"]
    assert load.rejects["reason"].tolist() == [
        "date '04/22/2018' does not fit the column's format (dd/mm/yyyy)",
        "date '2018-10-31' does not fit the column's format (dd/mm/yyyy)",
        "impossible date '31/02/2018' (read as dd/mm/yyyy)",
        "date 'soon' does not fit the column's format (dd/mm/yyyy)",
    ]


def test_date_format_forces_a_format(tmp_path):
    path = _council(tmp_path, ["01/02/2018", "03/04/2018 10:00"])
    assert read_incidents([path]).incidents["month"].tolist() == ["2018-02", "2018-04"]
    assert read_incidents([path], date_format="mdy").incidents["month"].tolist() == [
        "2018-01", "2018-03",
    ]  # fmt: skip
    dotted = _council(tmp_path, ["31.10.2018 21:15", "2018-10-31"], name="dotted.csv")
    load = read_incidents([dotted], date_format="%d.%m.%Y %H:%M")
    assert load.incidents["date_precision"].tolist() == ["datetime"]
    assert load.rejects["reason"].tolist() == [
        "date '2018-10-31' does not fit the column's format (%d.%m.%Y %H:%M)"
    ]
    with pytest.raises(HotspotsError, match="--date-format must be iso, dmy"):
        read_incidents([path], date_format="british")


def test_cli_gives_the_notes_as_warnings(tmp_path, write_police, caplog):
    from boundaries import get_path

    us = _council(tmp_path, DATE_FILES["us"][0], name="us.csv")
    empty = write_police([], "2018-10-empty-street.csv")
    args = ["wards", str(us), str(empty), "--wards", str(get_path("demo-wards")),
            "-o", str(tmp_path / "t.csv")]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        w.startswith(f"{us}: dates in column 'Date Reported' read month first") for w in warned
    )
    assert f"{empty}: holds a header and no data rows" in warned
    forced = CliRunner().invoke(main, [*args, "--date-format", "dmy"])
    assert "read month first" not in forced.output
    assert "rejected 3" in forced.output  # 04/22/2018, 03/31/2019, 02/28/2019 are not dd/mm
    bad = CliRunner().invoke(main, [*args, "--date-format", "british"])
    assert bad.exit_code == 1 and "--date-format must be iso, dmy" in bad.output
    assert "Traceback" not in bad.output


def test_unreadable_dates_and_csv_say_why(tmp_path):
    load = read_council_csv(_council(tmp_path, ["not a date", "soon"]))
    assert load.rejects["reason"].tolist() == [
        "unparseable date 'not a date'",
        "unparseable date 'soon'",
    ]
    huge = tmp_path / "huge.csv"
    huge.write_text('Date,Notes\n01/11/2018,"' + "x" * 200_000 + '"\n')
    with pytest.raises(InputFileError, match=r"is not a valid CSV \(field larger than field limit"):
        read_council_csv(huge)


def _same_load(a, b) -> None:
    from geopandas.testing import assert_geodataframe_equal

    assert_geodataframe_equal(a.incidents, b.incidents)
    # text columns of rejects are object or str as pandas' concatenation happens to give them
    pd.testing.assert_frame_equal(a.rejects, b.rejects, check_dtype=False)
    assert (a.rows_read, a.selected, a.files, a.notes) == (
        b.rows_read,
        b.selected,
        b.files,
        b.notes,
    )


def test_files_read_together_equal_each_file_read_alone(write_police, monkeypatch):
    """police.uk files of one header are validated as one batch: the load is the files' loads
    combined (incidents, every reject with its file and line, every note), for any batch size."""
    from hotspots.read import incidents as module
    from hotspots.read._rows import combine_loads

    paths = [
        write_police([police_row(), police_row(lon="abc"), POLICE_HEADER, police_row(month="")],
                     "2018-10-a-street.csv"),
        write_police([], "2018-11-b-street.csv"),
        write_police([police_row(crime="Burglary")], "2018-12-c-street.csv"),
        write_police([police_row(lon="", lat=""), police_row(lon="52.306", lat="-1.94")],
                     "2019-01-d-street.csv"),
        write_police([police_row(lon="-1.95", lat="52.31"), police_row() + ",extra",
                      police_row(lon=" -1.93 ")], "2019-02-e-street.csv"),
    ]  # fmt: skip
    for crime_types in (("Anti-social behaviour",), None):
        alone = combine_loads(read_police_csv(p, crime_types=crime_types) for p in paths)
        assert alone.rejected == 6 and len(alone.notes) >= 2
        for batch in (1, 2, 100_000):
            monkeypatch.setattr(module, "_BATCH_ROWS", batch)
            _same_load(read_incidents(paths, crime_types=crime_types), alone)


def test_incidents_at_one_map_point_share_one_point(shared_data):
    load = read_incidents(sorted(POLICE.glob("*.csv")))
    geoms = load.incidents.geometry.to_numpy()
    xy = load.incidents.geometry.get_coordinates()
    distinct = len(xy.drop_duplicates())
    assert distinct < len(geoms) / 2  # police.uk snaps to shared points
    assert len({id(g) for g in geoms}) == distinct


def _padded(row: str, pad: str) -> str:
    """A police.uk row with its month, location, LSOA and crime type padded with ``pad``."""
    fields = row.split(",")
    for i in (1, 6, 7, 8, 9):
        fields[i] = f"{pad}{fields[i]}{pad}"
    return ",".join(fields)


@pytest.mark.parametrize("pad", [" ", "\t", "\u00a0", "\u3000"])
def test_padded_values_are_stripped(write_police, pad):
    """Values are taken as read only when no value of the file is padded: padded values, with
    ASCII or Unicode spaces, give what unpadded ones give, alone and batched with a clean file."""
    rows = [police_row(), police_row(lon="-1.95", location="On or near Hill Street")]
    clean = write_police(rows, "2018-10-a-street.csv")
    padded = write_police([_padded(r, pad) for r in rows], "2018-11-b-street.csv")
    columns = ["date", "month", "category", "location", "lsoa_code", "lsoa_name", "geometry"]
    expected = read_police_csv(clean).incidents[columns]
    assert read_police_csv(padded).incidents[columns].equals(expected)
    both = read_incidents([clean, padded]).incidents[columns]
    assert both.iloc[2:].reset_index(drop=True).equals(expected)
    assert both["location"].tolist()[2:] == ["On or near Unicorn Hill", "On or near Hill Street"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_rows_of_empty_fields_are_skipped_not_rejected(tmp_path, newline):
    """A row of delimiters only (exports end with ',,,,' lines) is neither an incident nor a
    reject, and the other rows keep their line numbers."""
    empty = "," * (len(POLICE_HEADER.split(",")) - 1)
    rows = [POLICE_HEADER, police_row(), empty, police_row(lon=""), empty, empty]
    path = tmp_path / "2018-10-test-street.csv"
    path.write_bytes(newline.join(rows).encode() + newline.encode())
    load = read_police_csv(path)
    assert (load.rows_read, load.kept, load.rejected) == (2, 1, 1)
    assert load.incidents["line"].tolist() == [2] and load.rejects["line"].tolist() == [4]
