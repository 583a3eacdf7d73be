"""The /tasking page and its downloads, through Flask's test client."""

from __future__ import annotations

import csv
import io
import re

import pytest

from webapp import create_app
from webapp.tasking import WITHHELD, public_place
from webapp.users import add_user

USER, PASSWORD = "officer", "a-long-test-password"
SELECTION = "fy=2018-19&season=autumn&area=borough"
ROUTES = ["/tasking", "/tasking.csv", "/tasking.geojson"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    db = tmp_path_factory.mktemp("users") / "users.sqlite"
    add_user(db, USER, PASSWORD, role="viewer")
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "HOTSPOTS_USERS_DB": str(db)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def user(client):
    page = client.get("/login").get_data(True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": USER, "password": PASSWORD,
                                           "csrf_token": token})  # fmt: skip
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", ROUTES)
def test_needs_a_login(client, path):
    response = client.get(f"{path}?{SELECTION}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_page_lists_the_ranked_hotspots(user):
    response = user.get(f"/tasking?{SELECTION}")
    assert response.status_code == 200
    text = response.get_data(True)
    rows = re.findall(r'<th scope="row">(\d+)</th>\s*<td>([^<]*)</td><td>([^<]*)</td>', text)
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 3
    assert rows[0][1:] == ("On or near Market Place", "Abbey")
    assert "Contains public sector information" in text
    assert f'href="/tasking.csv?{SELECTION}"'.replace("&", "&amp;") in text


def test_csv_and_geojson_downloads(user):
    response = user.get(f"/tasking.csv?{SELECTION}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(True))))
    for col in ("rank", "place", "ward", "area", "incidents", "share", "trend", "peak_months"):
        assert col in table[0]
    assert "locations" not in table[0]
    assert table[0]["rank"] == "1" and table[0]["area"] == "Town centre"
    doc = user.get(f"/tasking.geojson?{SELECTION}").get_json(force=True)
    assert len(doc["features"]) == len(table)
    assert {f["geometry"]["type"] for f in doc["features"]} == {"Point"}
    assert doc["features"][0]["properties"]["trend"] == table[0]["trend"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("fy=all&season=autumn", "fy"),
        ("fy=1999-00&season=autumn", "fy"),
        ("fy=2018-19&season=monsoon", "season"),
        ("fy=2018-19&area=Atlantis", "area"),
    ],
)
@pytest.mark.parametrize("path", ROUTES)
def test_bad_parameter_is_a_400_naming_it(user, path, query, param):
    response = user.get(f"{path}?{query}")
    assert response.status_code == 400
    text = response.get_data(True)
    assert param in text and "Traceback" not in text


def test_free_text_places_are_withheld():
    assert public_place("On or near Unicorn Hill") == "On or near Unicorn Hill"
    assert public_place("Flat 3, 12 Acacia Avenue (Mr J Smith)") == WITHHELD
    assert public_place("") == ""
