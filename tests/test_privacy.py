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
        ("=HYPERLINK(\"http://x\")", WITHHELD),
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
