"""Street-level place text: one function for every output a viewer sees."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots.privacy import WITHHELD, redact_places, street_level, street_level_counts


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("6 Unicorn Hill, Redditch", "Unicorn Hill"),
        ("Flat 2, 14 Market Place", "Market Place"),
        ("Flat 2 14 Market Place", "Market Place"),
        ("Apartment 3b, 2-4 Church Green East", "Church Green East"),
        ("14-16 Market Place", "Market Place"),
        ("Tesco Express, 12 Alcester Street, Redditch B97 4HJ", "Alcester Street"),
        ("The Red Lion, Market Place", "Market Place"),
        ("Rose Cottage, Unicorn Hill", "Unicorn Hill"),
        ("outside 12a Acacia Avenue (Mrs J Smith)", "Acacia Avenue"),
        ("No. 7 Bates Hill", "Bates Hill"),
        ("Unit 4, Enfield Industrial Estate", "Enfield Industrial Estate"),
        ("A441 Birmingham Road", "A441 Birmingham Road"),
        ("On or near Unicorn Hill", "On or near Unicorn Hill"),
        ("On or near Supermarket", "On or near Supermarket"),
        ("On or near 12 Unicorn Hill", "On or near Unicorn Hill"),
        ("Mrs Smith's house", WITHHELD),
        ("B97 4HJ", WITHHELD),
        ('=HYPERLINK("http://x")', WITHHELD),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_street_level(text, street):
    assert street_level(text) == street


def test_no_digit_survives_in_a_council_address():
    addresses = ["6 Unicorn Hill, Redditch", "Flat 2, 14 Market Place", "12/14 Evesham Street",
                 "Unit 3 Kingfisher Shopping Centre", "27 Other Road, Redditch, B98 7AA"]  # fmt: skip
    assert not any(ch.isdigit() for a in addresses for ch in street_level(a))


def test_counts_of_the_same_street_are_added_up():
    text = "6 Unicorn Hill, Redditch (3); Flat 2, 14 Market Place (2); 8 Unicorn Hill (2)"
    assert street_level_counts(text) == "Unicorn Hill (5); Market Place (2)"
    assert street_level_counts("") == "" and street_level_counts(None) == ""


def test_redact_places_changes_only_place_columns_and_keeps_attrs():
    table = pd.DataFrame({"place": ["6 Unicorn Hill", "On or near Bates Hill"],
                          "top_locations": ["6 Unicorn Hill (4); 9 Unicorn Hill (1)", ""],
                          "ward": ["Abbey 12", "Central"], "incidents": [5, 3]})  # fmt: skip
    table.attrs["eps_m"] = 100
    out = redact_places(table)
    assert out["place"].tolist() == ["Unicorn Hill", "On or near Bates Hill"]
    assert out["top_locations"].tolist() == ["Unicorn Hill (5)", ""]
    assert out["ward"].tolist() == ["Abbey 12", "Central"] and out["incidents"].tolist() == [5, 3]
    assert out.attrs == {"eps_m": 100}
    assert table["place"].iloc[0] == "6 Unicorn Hill"  # the input is not changed


# --------------------------------------------------------------------------- the CLI

COUNCIL = [
    "6 Unicorn Hill, Redditch",
    "Flat 2, 14 Market Place",
    "Tesco Express, 12 Alcester Street",
]


@pytest.fixture
def council_export(tmp_path):
    lines = ["case_ref,reported_at,category,easting,northing,address"]
    for i in range(60):
        lines.append(f'A{i},{1 + i % 28:02d}/10/2018 21:00,Nuisance,{404100 + i % 7 * 4},'
                     f'{267500 + i % 5 * 4},"{COUNCIL[i % 3]}"')  # fmt: skip
    path = tmp_path / "asb_export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("command", "suffix"), [("clusters", ".csv"), ("clusters", ".geojson"),
                                                 ("tasking", ".csv"), ("tasking", ".geojson"),
                                                 ("tasking", ".html"), ("map", ".html")])  # fmt: skip
def test_cli_outputs_are_street_level_unless_keep_addresses(council_export, tmp_path, command,
                                                            suffix):  # fmt: skip
    from click.testing import CliRunner

    from boundaries import get_path
    from hotspots.cli import main

    texts = {}
    for extra in ([], ["--keep-addresses"]):
        out = tmp_path / f"{command}{len(extra)}{suffix}"
        args = [command, str(council_export), "--wards", str(get_path("demo-wards")),
                "--fy", "2018-19", "-o", str(out), *extra]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        texts[bool(extra)] = out.read_text(encoding="utf-8") + result.output
    for number in ("6 Unicorn", "14 Market", "Flat 2", "Tesco", "12 Alcester"):
        assert number not in texts[False]
    assert any(
        street in texts[False] for street in ("Unicorn Hill", "Market Place", "Alcester Street")
    )
    if (command, suffix) == ("tasking", ".html"):  # one label per hotspot: main streets only
        assert "6 Unicorn Hill, Redditch" not in texts[True]
    else:  # full addresses in the location lists, for the analyst
        assert "6 Unicorn Hill, Redditch" in texts[True]
