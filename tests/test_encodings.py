"""Encodings: a UTF-8 file with a few Windows-1252 lines keeps every other line's text."""

from __future__ import annotations

import logging

import pytest

from hotspots.read.incidents import read_incidents
from tests.conftest import POLICE

OCTOBER = "2018-10-west-mercia-street.csv"
# Place names as exports hold them: accents, a pound sign, an en dash.
PLACES = ["On or near Café Row", "On or near Rue Saint-Étienne", "On or near £1 Shop – Market"]
ODD = "On or near Crêpe – £2 Lane"  # the row pasted from an old system, in Windows-1252


def _police_lines(shared_data) -> tuple[bytes, list[bytes]]:
    """The header and the first ASB rows (with a place) of a real police.uk file."""
    header, *rows = (POLICE / OCTOBER).read_bytes().split(b"\n")
    asb = [r for r in rows if b",Anti-social behaviour," in r and b"On or near" in r]
    return header, asb[:8]


def _with_location(row: bytes, text: str, encoding: str = "utf-8") -> bytes:
    """A police.uk row whose Location (the 7th field; no quotes in these rows) is ``text``."""
    fields = row.split(b",")
    fields[6] = text.encode(encoding)
    return b",".join(fields)


def _police_file(shared_data, tmp_path, odd_encoding: str):
    """A police.uk file: UTF-8 places on rows 2-4, the odd row 6 in ``odd_encoding``.

    Row 8 has no coordinates (a reject with a UTF-8 place). Returns the path, every
    data line's expected Location by line number, and the reject's line.
    """
    header, rows = _police_lines(shared_data)
    places = {2: PLACES[0], 3: PLACES[1], 4: PLACES[2], 6: ODD, 8: PLACES[1]}
    lines = [header]
    for number, row in enumerate(rows, start=2):
        if number in places:
            row = _with_location(row, places[number], odd_encoding if number == 6 else "utf-8")
        if number == 8:
            fields = row.split(b",")
            fields[4] = fields[5] = b""
            row = b",".join(fields)
        lines.append(row)
    path = tmp_path / OCTOBER
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = {
        n: places.get(n, row.split(b",")[6].decode()) for n, row in enumerate(rows, start=2)
    }
    return path, expected, 8


def test_police_file_with_one_cp1252_row_keeps_the_utf8_text(shared_data, tmp_path, caplog):
    path, expected, reject_line = _police_file(shared_data, tmp_path, "cp1252")
    with caplog.at_level(logging.WARNING):
        found = read_incidents([path])
    got = dict(zip(found.incidents["line"].tolist(), found.incidents["location"].tolist()))
    assert got == {n: t for n, t in expected.items() if n != reject_line}
    assert got[6] == ODD  # read as Windows-1252
    (reject,) = found.rejects.to_dict("records")
    assert reject["line"] == reject_line and reject["Location"] == PLACES[1]
    (note,) = [n for n in found.notes if "UTF-8" in n]
    assert note == f"{path}: line 6 is not UTF-8; read as Windows-1252 (check its text)"
    assert note in caplog.text


def test_police_file_lines_and_rejects_are_those_of_the_all_utf8_file(shared_data, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    mixed = read_incidents([_police_file(shared_data, tmp_path / "a", "cp1252")[0]])
    utf8 = read_incidents([_police_file(shared_data, tmp_path / "b", "utf-8")[0]])
    assert mixed.incidents["line"].tolist() == utf8.incidents["line"].tolist()
    assert mixed.incidents["location"].tolist() == utf8.incidents["location"].tolist()
    assert mixed.rejects[["line", "reason"]].values.tolist() == (
        utf8.rejects[["line", "reason"]].values.tolist()
    )
    assert not [n for n in utf8.notes if "UTF-8" in n]


COUNCIL_HEADER = "Ref,Date,Easting,Northing,Location"
COUNCIL_ROWS = [  # (reference, place); the row of a quoted line break keeps its line numbers
    ("A1", "Café Row"),
    ("A2", '"Rue Saint-Étienne,\nFlat 2"'),
    ("A3", "£1 Shop – Market"),
    ("A4", "Crêpe – £2 Lane"),
    ("A5", "Church Green"),
]


def _council_file(tmp_path, encodings: dict[str, str], default: str = "utf-8"):
    """A council export: each row in its encoding (``encodings`` by reference, else default)."""
    lines = [COUNCIL_HEADER.encode(default)]
    for ref, place in COUNCIL_ROWS:
        row = f"{ref},31/10/2018 21:15,404100,267500,{place}"
        lines.append(row.encode(encodings.get(ref, default)))
    path = tmp_path / "cases.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return path


def test_old_mac_line_ends_with_one_cp1252_row_keep_the_utf8_text(shared_data, tmp_path, caplog):
    """The same file with "\\r" line ends only (an old Mac's export): each line on its own."""
    path, expected, reject_line = _police_file(shared_data, tmp_path, "cp1252")
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert b"\n" not in path.read_bytes()
    with caplog.at_level(logging.WARNING):
        found = read_incidents([path])
    got = dict(zip(found.incidents["line"].tolist(), found.incidents["location"].tolist()))
    assert got == {n: t for n, t in expected.items() if n != reject_line}  # "Café", not "CafÃ©"
    (note,) = [n for n in found.notes if "UTF-8" in n]
    assert note == f"{path}: line 6 is not UTF-8; read as Windows-1252 (check its text)"


def _places(found) -> dict[str, str]:
    return dict(zip(found.incidents["incident_id"], found.incidents["location"]))


EXPECTED_PLACES = {ref: place.strip('"') for ref, place in COUNCIL_ROWS}


def test_council_export_with_one_cp1252_row_keeps_the_utf8_text(tmp_path):
    found = read_incidents([_council_file(tmp_path, {"A4": "cp1252"})])
    assert _places(found) == EXPECTED_PLACES
    assert dict(zip(found.incidents["incident_id"], found.incidents["line"])) == {
        "A1": 2, "A2": 3, "A3": 5, "A4": 6, "A5": 7,
    }  # fmt: skip
    (note,) = [n for n in found.notes if "UTF-8" in n]
    assert "line 6 is not UTF-8; read as Windows-1252" in note


def test_a_byte_neither_reads_rejects_its_row_and_keeps_the_rest_utf8(tmp_path):
    path = _council_file(tmp_path, {"A4": "cp1252"})
    path.write_bytes(path.read_bytes().replace("Crêpe".encode("cp1252"), b"Cr\x81pe"))
    found = read_incidents([path])
    assert _places(found) == {k: v for k, v in EXPECTED_PLACES.items() if k != "A4"}
    (reject,) = found.rejects.to_dict("records")
    assert reject["line"] == 6 and "0x81" in reject["reason"]
    assert reject["Location"] == "Cr\ufffdpe – £2 Lane"


def test_a_wholly_cp1252_export_is_read_as_cp1252(tmp_path):
    found = read_incidents([_council_file(tmp_path, {}, default="cp1252")])
    assert _places(found) == EXPECTED_PLACES
    assert not [n for n in found.notes if "UTF-8" in n]


@pytest.mark.parametrize("utf8_rows", [["A1"], ["A3"]])
def test_invalid_utf8_on_most_lines_is_read_as_cp1252(tmp_path, utf8_rows):
    found = read_incidents([_council_file(tmp_path, dict.fromkeys(utf8_rows, "utf-8"), "cp1252")])
    places = _places(found)
    # the lines that are UTF-8 are few: the file is Windows-1252, as before (their text garbled)
    assert {k: v for k, v in places.items() if k not in utf8_rows} == {
        k: v for k, v in EXPECTED_PLACES.items() if k not in utf8_rows
    }
    for ref in utf8_rows:
        assert places[ref] == EXPECTED_PLACES[ref].encode().decode("cp1252")
    assert not [n for n in found.notes if "UTF-8" in n]
