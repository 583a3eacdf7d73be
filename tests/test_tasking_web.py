"""The /tasking page and its downloads, through Flask's test client."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from webapp import create_app
from webapp.users import add_user

USER, PASSWORD = "officer", "a-long-test-password"
SELECTION = "fy=2018-19&season=autumn&area=borough"
ROUTES = ["/tasking", "/tasking.csv", "/tasking.geojson", "/tasking.pdf"]


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
    rows = re.findall(
        r'<th scope="row">(\d+)</th>\s*<td class="label">([^<]*)</td><td[^>]*>([^<]*)</td>', text
    )
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 3
    # The hotspot's one label (rank and main streets), as on the map and in /api/clusters.
    labels = {f["properties"]["cluster_id"]: f["properties"]["label"]
              for f in user.get(f"/api/clusters?{SELECTION}").get_json()["features"]}  # fmt: skip
    assert [r[1] for r in rows] == [html.escape(labels[int(r[0])]) for r in rows]
    assert rows[0][1].startswith("1 ") and "Market Place" in rows[0][1] and rows[0][2] == "Abbey"
    assert "Contains public sector information" in text
    assert f'href="/tasking.csv?{SELECTION}"'.replace("&", "&amp;") in text


def test_csv_and_geojson_downloads(user):
    response = user.get(f"/tasking.csv?{SELECTION}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(True))))
    for col in ("rank", "place", "ward", "area", "incidents", "share_pct", "trend", "peak_months"):
        assert col in table[0]
    assert "locations" not in table[0] and "share" not in table[0]
    # Shares as a per cent with one decimal, as in every CSV.
    assert all(re.fullmatch(r"\d+\.\d", row["share_pct"]) for row in table)
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


def _rows(text: str) -> list[tuple[str, str]]:
    """(rank, map link) of each row of the tasking table."""
    return re.findall(
        r'<th scope="row">(\d+)</th>.*?<a class="map-link" href="([^"]+)"', text, re.S
    )


def test_rows_link_to_the_map_centred_on_their_hotspot(user):
    text = user.get("/tasking?fy=2018-19&season=autumn&area=ward:Abbey").get_data(True)
    rows = _rows(text)
    assert rows
    for rank, link in rows:
        link = link.replace("&amp;", "&")
        assert link.startswith("/map?") and link.endswith(f"&focus={rank}")
        page = user.get(link)
        assert page.status_code == 200
        frame = user.get(link.replace("/map?", "/map/frame?")).get_data(True)
        # The map fits the hotspot's outline (250 m margin), not the ward.
        (bounds,) = re.findall(r"fitBounds\(\s*\[\[([-\d., \[\]]+)\]\]", frame)
        lat0, lon0, lat1, lon1 = (float(v) for v in re.findall(r"-?\d+\.\d+", bounds))
        assert (lat1 - lat0) < 0.02 and (lon1 - lon0) < 0.03
    assert 'id="download-pdf" href="/tasking.pdf?' in text


def test_focus_on_a_hotspot_not_in_the_view_is_a_400(user):
    text = user.get("/tasking?fy=2018-19&season=autumn&area=Town+centre").get_data(True)
    shown = {int(rank) for rank, _ in _rows(text)}
    missing = min(set(range(1, 50)) - shown)
    response = user.get(f"/map?fy=2018-19&season=autumn&area=Town+centre&focus={missing}")
    assert response.status_code == 400
    assert "focus" in response.get_data(True)


def test_pdf_sheet(user):
    import pypdf

    response = user.get(f"/tasking.pdf?{SELECTION}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Market Place / Unicorn Hill" in text
    assert "DBSCAN eps 100 m, min_samples" in text
    assert "Open Government Licence" in text


def test_ward_sheet_lists_the_borough_hotspots_in_the_ward(user):
    borough = list(
        csv.DictReader(io.StringIO(user.get(f"/tasking.csv?{SELECTION}").get_data(True)))
    )
    ward = list(
        csv.DictReader(
            io.StringIO(
                user.get("/tasking.csv?fy=2018-19&season=autumn&area=ward:Abbey").get_data(True)
            )
        )
    )
    expected = [
        (r["rank"], r["incidents"], r["share_pct"]) for r in borough if r["ward"] == "Abbey"
    ]
    assert [(r["rank"], r["incidents"], r["share_pct"]) for r in ward] == expected and expected
    page = user.get("/tasking?fy=2018-19&season=autumn&area=ward:Abbey").get_data(True)
    assert "DBSCAN eps 100 m, min_samples" in page and "busiest map point" in page


@pytest.mark.parametrize("area", ["borough", "ward:Abbey", "Town+centre"])
def test_ids_and_counts_agree_across_map_tables_and_tasking(user, area):
    query = f"fy=2018-19&season=autumn&area={area}"
    api = user.get(f"/api/clusters?{query}").get_json(force=True)
    from_api = [
        (f["properties"]["cluster_id"], f["properties"]["incidents"]) for f in api["features"]
    ]
    table = csv.DictReader(io.StringIO(user.get(f"/clusters.csv?{query}").get_data(True)))
    from_table = [(int(r["cluster_id"]), int(r["incidents"])) for r in table]
    sheet = csv.DictReader(io.StringIO(user.get(f"/tasking.csv?{query}").get_data(True)))
    from_sheet = [(int(r["rank"]), int(r["incidents"])) for r in sheet]
    assert from_api and sorted(from_api) == from_table == from_sheet
    borough = user.get("/api/clusters?fy=2018-19&season=autumn").get_json(force=True)
    whole = {
        f["properties"]["cluster_id"]: f["properties"]["incidents"] for f in borough["features"]
    }
    assert all(whole[i] == n for i, n in from_sheet)
    assert api["min_samples"] == borough["min_samples"]


def test_map_frame_states_the_parameters(user):
    frame = user.get("/map/frame?fy=2018-19&season=autumn&area=ward:Abbey").get_data(True)
    assert "DBSCAN eps 100 m, min_samples" in frame and "whole study area" in frame
