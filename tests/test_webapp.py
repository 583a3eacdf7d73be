"""The web app through Flask's test client: every route without a login and with a bad parameter,
login and logout with CSRF, the pages' contract, downloads, security headers and error pages."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from boundaries import get_path
from webapp import create_app
from webapp.users import add_user, authenticate, get_user

USER, PASSWORD = "officer", "a-long-test-password"
SELECTION = "fy=2018-19&season=autumn&area=borough"

#: Every page and API route that shows a selection: (path, kind).
SELECTION_ROUTES = [
    ("/map", "page"),
    ("/map/frame", "page"),
    ("/wards", "page"),
    ("/wards.csv", "page"),
    ("/clusters", "page"),
    ("/clusters.csv", "page"),
    ("/seasonal", "page"),
    ("/api/clusters", "api"),
    ("/api/wards", "api"),
    ("/api/incidents/summary", "api"),
]
SEASONS = ["winter", "spring", "summer", "autumn", "all"]
OPEN_ENDPOINTS = {"auth.login", "api.healthz", "static", "vendor.asset"}


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


@pytest.fixture(scope="module")
def users_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("users") / "users.sqlite"
    add_user(db, USER, PASSWORD, role="viewer")
    add_user(db, "analyst1", PASSWORD, role="analyst")
    return db


@pytest.fixture(scope="module")
def app(users_db):
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret", "HOTSPOTS_USERS_DB": str(users_db)}
    )


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, name: str = USER, password: str = PASSWORD, next_path: str | None = None):
    page = client.get("/login" + (f"?next={next_path}" if next_path else ""))
    data = {"username": name, "password": password, "csrf_token": _token(page.get_data(True))}
    if next_path:
        data["next"] = next_path
    return client.post("/login", data=data)


@pytest.fixture
def user(client):
    response = login(client)
    assert response.status_code == 302
    return client


@pytest.fixture(scope="module")
def open_app():
    """Login off (as ``hotspots serve`` does for the demo on loopback)."""
    return create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False})


# --------------------------------------------------------------------------- no login


@pytest.mark.parametrize(("path", "kind"), SELECTION_ROUTES)
def test_route_without_login_is_refused(client, path, kind):
    response = client.get(f"{path}?{SELECTION}")
    if kind == "api":
        assert response.status_code == 401
        assert "login" in response.get_json()["error"]
    else:
        assert response.status_code == 302
        target = urlsplit(response.headers["Location"])
        assert target.path == "/login"
        assert parse_qs(target.query)["next"] == [f"{path}?{SELECTION}"]


def test_every_registered_route_needs_a_login_except_the_open_ones(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS or "GET" not in rule.methods or rule.arguments:
            continue
        response = client.get(rule.rule)
        expected = 401 if rule.rule.startswith("/api/") else 302
        assert response.status_code == expected, rule.rule
        checked += 1
    assert checked >= len(SELECTION_ROUTES) + 1  # the pages, the API and "/"


def test_index_without_login_goes_to_login(client):
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/login"
    assert 'name="username"' in response.get_data(True)


def test_logout_without_login_or_token_is_refused(client):
    assert client.post("/logout").status_code in (302, 400)
    assert client.get("/map").status_code == 302


def test_healthz_is_open(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_static_and_vendor_files_are_open(client):
    assert client.get("/static/style.css").status_code == 200
    response = client.get("/static/vendor/leaflet/leaflet.js")
    assert response.status_code == 200
    assert b"Leaflet" in response.data[:2000]
    assert client.get("/static/vendor/leaflet/../../secret").status_code == 404
    assert client.get("/static/vendor/nothing/x.js").status_code == 404


# --------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(("path", "kind"), SELECTION_ROUTES)
@pytest.mark.parametrize(
    ("param", "value", "allowed"),
    [
        ("season", "monsoon", "autumn"),
        ("fy", "1999-00", "2018-19"),
        ("area", "Atlantis", "Town centre"),
        ("ward", "Nowhere", "Abbey"),
    ],
)
def test_bad_parameter_is_a_400_naming_it_and_the_allowed_values(
    user, path, kind, param, value, allowed
):
    response = user.get(f"{path}?{param}={value}")
    assert response.status_code == 400
    if kind == "api":
        body = response.get_json()
        assert body["parameter"] == param
        assert allowed in body["allowed"]
        assert value in body["error"]
    else:
        text = response.get_data(True)
        assert "text/html" in response.content_type
        assert f'<code id="error-parameter">{param}</code>' in text
        assert f"<code>{allowed}</code>" in text
        assert "Traceback" not in text


def test_bad_parameter_through_index_redirect(user):
    response = user.get("/?season=monsoon", follow_redirects=True)
    assert response.status_code == 400
    assert "season" in response.get_data(True)


def test_season_values_are_the_known_ones(user):
    for season in SEASONS:
        assert user.get(f"/api/incidents/summary?season={season}").status_code == 200


def test_conflicting_ward_and_area_is_a_400(user):
    response = user.get("/api/wards?area=ward:Abbey&ward=West")
    assert response.status_code == 400
    assert response.get_json()["allowed"] == ["Abbey"]


def test_clustering_overrides_are_for_analysts_only(user, client):
    assert user.get("/api/clusters?eps=80").status_code == 403
    user.post("/logout", data={"csrf_token": _token(user.get("/map").get_data(True))})
    login(client, "analyst1")
    assert client.get("/api/clusters?eps=80").status_code == 200
    assert client.get("/api/clusters?eps=5").status_code == 400


def test_unknown_route_is_a_404_page(user):
    response = user.get("/no/such/page")
    assert response.status_code == 404
    assert "no page at /no/such/page" in response.get_data(True)


def test_server_error_is_a_plain_page(users_db):
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_USERS_DB": str(users_db)})  # fmt: skip

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(True)
    assert "secret internals" not in text and "Traceback" not in text
    assert "Server error" in text


def test_bad_data_config_is_a_503_page_not_a_traceback(tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text("not,a,police,file\n1,2,3,4\n", encoding="utf-8")
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_INPUTS": [str(missing)],
                      "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip
    response = app.test_client().get("/map")
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(True)


# --------------------------------------------------------------------------- login, logout, CSRF


def test_login_form_has_the_contract_fields(client):
    text = client.get("/login").get_data(True)
    assert '<input name="username"' in text
    assert 'name="password" type="password"' in text
    assert 'name="csrf_token"' in text
    assert '<button type="submit"' in text


def test_wrong_password_shows_the_form_again_with_401(client):
    response = login(client, password="wrong-password")
    assert response.status_code == 401
    text = response.get_data(True)
    assert "Wrong user name or password" in text
    assert 'name="password"' in text
    assert client.get("/map").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": USER, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/map").status_code == 302


def test_login_goes_to_a_safe_next_only(client):
    response = login(client, next_path="/wards?fy=2018-19")
    assert response.headers["Location"] == "/wards?fy=2018-19"
    client.post("/logout", data={"csrf_token": _token(client.get("/map").get_data(True))})
    response = login(client, next_path="//evil.example/x")
    assert response.headers["Location"] == "/map"


def test_logout_needs_the_csrf_token_and_ends_the_session(user):
    page = user.get("/map").get_data(True)
    assert 'id="logout"' in page
    assert user.post("/logout").status_code == 400  # no token
    assert user.get("/map").status_code == 200
    response = user.post("/logout", data={"csrf_token": _token(page)})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert user.get("/map").status_code == 302


def test_users_are_stored_hashed(users_db):
    import sqlite3

    with sqlite3.connect(users_db) as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE name = ?", (USER,)).fetchone()
    assert stored[0] != PASSWORD and PASSWORD not in stored[0]
    assert authenticate(users_db, USER, PASSWORD).role == "viewer"
    assert authenticate(users_db, USER, "nope-nope-nope") is None


def test_users_add_command_hashes_and_checks_roles(tmp_path):
    from hotspots.cli import main

    db = tmp_path / "u.sqlite"
    runner = CliRunner()
    result = runner.invoke(main, ["users", "add", "sam", "--role", "analyst", "--password-stdin",
                                  "--db", str(db)], input="correct-horse-battery\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert get_user(db, "sam").role == "analyst"
    assert authenticate(db, "sam", "correct-horse-battery") is not None
    bad = runner.invoke(main, ["users", "add", "sam", "--role", "admin", "--password-stdin",
                               "--db", str(db)], input="correct-horse-battery\n")  # fmt: skip
    assert bad.exit_code != 0 and "admin" in bad.output
    listed = runner.invoke(main, ["users", "list", "--db", str(db)])
    assert "sam\tanalyst" in listed.output


def test_serve_turns_login_off_only_for_the_demo_on_loopback():
    from hotspots.cli.web import serve_config

    base = {"wards": None, "areas": None, "population": None, "tiles_url": None,
            "tiles_attribution": None, "eps_m": 100.0, "min_samples": None, "users_db": None}  # fmt: skip
    assert serve_config(data=(), host="127.0.0.1", **base)["HOTSPOTS_REQUIRE_LOGIN"] is False
    assert serve_config(data=(), host="0.0.0.0", **base)["HOTSPOTS_REQUIRE_LOGIN"] is True
    data = (get_path("demo-incidents"),)
    assert serve_config(data=data, host="127.0.0.1", **base)["HOTSPOTS_REQUIRE_LOGIN"] is True


def test_serve_secure_cookies_default_on_unless_loopback():
    from hotspots.cli.web import serve_config

    base = {"data": (), "wards": None, "areas": None, "population": None, "tiles_url": None,
            "tiles_attribution": None, "eps_m": 100.0, "min_samples": None, "users_db": None}  # fmt: skip
    assert serve_config(host="127.0.0.1", **base)["HOTSPOTS_SECURE_COOKIES"] is False
    assert serve_config(host="0.0.0.0", **base)["HOTSPOTS_SECURE_COOKIES"] is True
    assert (
        serve_config(host="0.0.0.0", secure_cookies=False, **base)["HOTSPOTS_SECURE_COOKIES"]
        is False
    )
    assert serve_config(host="::1", secure_cookies=True, **base)["HOTSPOTS_SECURE_COOKIES"] is True


def _postcode_export(shared_data, tmp_path):
    import pandas as pd

    codes = pd.read_csv(shared_data / "postcodes" / "codepoint-open-2018.3-north-worcs.csv")
    redditch = codes.loc[codes["Admin_district_code"] == "E07000236", "Postcode"].head(40)
    path = tmp_path / "asb_postcodes.csv"
    rows = [f"C{i},{1 + i % 28:02d}/10/2018,Nuisance,{pc}" for i, pc in enumerate(redditch)]
    path.write_text("Ref,When,Type,Post Code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_serve_reads_a_postcode_only_council_export(shared_data, tmp_path, caplog):
    from hotspots.cli.web import serve_config
    from webapp.dataset import spec_from_config

    path = _postcode_export(shared_data, tmp_path)
    base = {"data": (path,), "wards": shared_data / "wards" / "redditch.geojson", "areas": None,
            "population": None, "host": "127.0.0.1", "tiles_url": None,
            "tiles_attribution": None, "eps_m": 100.0, "min_samples": None, "users_db": None,
            "columns": ("date=When",)}  # fmt: skip
    config = serve_config(postcodes=shared_data / "postcodes" /
                          "codepoint-open-2018.3-north-worcs.csv", **base)  # fmt: skip
    formatted = serve_config(date_format="%d/%m/%Y", crime_types=("all",), **base)
    spec = spec_from_config(formatted)
    assert spec.date_format == "%d/%m/%Y" and spec.crime_types is None
    assert spec.columns.date == "When"
    app = create_app({**config, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False})
    summary = app.test_client().get("/api/incidents/summary?fy=2018-19").get_json()
    assert summary["dataset"]["kept"] == 40 and summary["dataset"]["rejected"] == 0
    assert sum(summary["by_month"].values()) == summary["incidents"] > 30

    # Without the postcode directory the data cannot be placed: a 503 page and one log line.
    app = create_app({**serve_config(**base), "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False})
    caplog.clear()
    response = app.test_client().get("/map")
    text = response.get_data(True)
    assert response.status_code == 503 and "Traceback" not in text
    assert "postcode" in text.lower()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None and "\n" not in errors[0].getMessage()


def test_a_data_error_page_names_no_file_to_a_viewer(tmp_path, users_db):
    bad = tmp_path / "broken.csv"
    bad.write_text("not,a,police,file\n1,2,3,4\n", encoding="utf-8")
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_USERS_DB": str(users_db),
                      "HOTSPOTS_INPUTS": [str(bad)],
                      "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip
    viewer, analyst = app.test_client(), app.test_client()
    assert login(viewer).status_code == 302 and login(analyst, "analyst1").status_code == 302
    seen = viewer.get("/clusters")
    assert seen.status_code == 503 and seen.headers["Retry-After"]
    assert "broken.csv" not in seen.get_data(True) and "log" in seen.get_data(True)
    assert "broken.csv" in analyst.get("/clusters").get_data(True)


# --------------------------------------------------------------------------- pages


def test_index_redirects_to_the_map(user):
    response = user.get("/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/map"


def test_map_page_has_the_selectors_and_the_frame(user):
    text = user.get(f"/map?{SELECTION}").get_data(True)
    assert '<form id="selection" method="get"' in text
    for name in ("fy", "season", "area"):
        assert f'<select name="{name}">' in text
    for season in SEASONS:
        assert f'<option value="{season}"' in text
    assert '<option value="borough"' in text
    assert '<option value="Town centre"' in text
    assert '<option value="ward:Abbey"' in text
    frame = re.search(r'<iframe id="map-frame"[^>]*src="([^"]+)"', text).group(1)
    assert urlsplit(frame).path == "/map/frame"
    assert parse_qs(urlsplit(frame.replace("&amp;", "&")).query) == parse_qs(SELECTION)
    for link in ("/map", "/wards", "/clusters", "/seasonal", "/tasking"):
        assert f'href="{link}' in text
    assert "Open Government Licence" in text
    assert 'id="demo-banner"' not in text


def test_map_page_defaults_are_latest_year_all_seasons_borough(user):
    text = user.get("/map").get_data(True)
    assert 'src="/map/frame?fy=2018-19&amp;season=all&amp;area=borough"' in text


def test_map_frame_has_hulls_legend_layers_and_licence(user):
    text = user.get(f"/map/frame?{SELECTION}").get_data(True)
    assert "hotspot-hull" in text
    assert "hotspot-legend" in text
    assert '"collapsed": false' in text or "collapsed: false" in text
    assert "Open Government Licence" in text
    assert "L.heatLayer" in text  # heat layer
    assert "L.markerClusterGroup" in text  # capped, clustered incident points
    assert "fitBounds" in text


def test_map_frame_fits_the_chosen_area(user):
    def bounds(query):
        text = user.get(f"/map/frame?{query}").get_data(True)
        nums = re.search(r"fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]",
                         text)  # fmt: skip
        s, w, n, e = (float(v) for v in nums.groups())
        return (n - s) * (e - w)

    borough = bounds("area=borough")
    centre = bounds("area=Town+centre")
    ward = bounds("area=ward:Abbey")
    assert centre < ward < borough


def test_ward_table_is_in_the_council_format_with_csv(user):
    text = user.get(f"/wards?{SELECTION}").get_data(True)
    table = text[text.index('<table id="ward-table"') :]
    header = re.findall(r'<th scope="col">([^<]+)</th>', table)
    council = ["ward", "2017-18", "2018-19", "difference", "percentage"]
    assert header == [*council, "population", "rate 2017-18", "rate 2018-19"]  # demo population
    rows = re.findall(r'<th scope="row">([^<]+)</th>', table)
    assert rows[-1] == "Grand Total" and len(rows) == 13
    assert (
        'id="download-csv"' in text
        and f'href="/wards.csv?{SELECTION.replace("&", "&amp;")}"' in text
    )
    response = user.get(f"/wards.csv?{SELECTION}")
    assert response.mimetype == "text/csv"
    records = list(csv.DictReader(io.StringIO(response.get_data(True))))
    assert records[-1]["ward"] == "Grand Total"
    total = records[-1]
    assert int(total["difference"]) == int(total["2018-19"]) - int(total["2017-18"])
    assert sum(int(r["2018-19"]) for r in records[:-1]) == int(total["2018-19"])


def test_ward_table_stops_at_the_chosen_year(user):
    records = list(csv.DictReader(io.StringIO(user.get("/wards.csv?fy=2017-18").get_data(True))))
    assert "2018-19" not in records[0] and "2017-18" in records[0]


def test_cluster_table_matches_the_api_and_csv(user):
    text = user.get(f"/clusters?{SELECTION}").get_data(True)
    assert '<table id="cluster-table"' in text
    # each hotspot's months as a reader says them ("Sep–Nov 2018"); the CSV keeps YYYY-MM
    months = re.findall(r'data-label="Months">([^<]*)</td>', text)
    assert months and all(re.fullmatch(r"[A-Z][a-z]{2}[^0-9]*\d{4}.*", m) for m in months), months
    assert f'href="/clusters.csv?{SELECTION.replace("&", "&amp;")}"' in text
    assert f'href="/api/clusters?{SELECTION.replace("&", "&amp;")}"' in text
    doc = user.get(f"/api/clusters?{SELECTION}").get_json()
    assert doc["type"] == "FeatureCollection" and doc["features"]
    assert "Open Government Licence" in doc["attribution"]
    props = doc["features"][0]["properties"]
    assert props["trend"] in {"new", "growing", "steady", "shrinking"}
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert -3 < lon < -1 and 52 < lat < 53  # EPSG:4326
    rows = list(csv.DictReader(io.StringIO(user.get(f"/clusters.csv?{SELECTION}").get_data(True))))
    assert [int(r["incidents"]) for r in rows] == [f["properties"]["incidents"]
                                                  for f in doc["features"]]  # fmt: skip
    assert text.count("<tr>") - 1 == len(rows)


def test_change_is_empty_without_an_earlier_year(user):
    doc = user.get("/api/clusters?fy=2017-18&season=autumn").get_json()
    assert doc["features"]
    assert {f["properties"]["previous"] for f in doc["features"]} == {None}


def test_seasonal_page_shows_july_and_october_peaks(user):
    text = user.get("/seasonal").get_data(True)
    assert '<figure id="seasonal-chart">' in text and "<svg" in text
    table = text[text.index('<table id="seasonal-table"') :]
    months = re.findall(r'<th scope="row">(\w+)</th>((?:<td class="num">\d+</td>)+)', table)
    assert [m for m, _ in months] == ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                      "Dec", "Jan", "Feb", "Mar"]  # fmt: skip
    counts = {m: [int(v) for v in re.findall(r"\d+", cells)] for m, cells in months}
    # the demo covers whole years: no month is "no data"
    assert "no data" not in text.lower() and 'id="no-data-note"' not in text
    for year in range(len(counts["Jul"])):
        assert counts["Jul"][year] > max(counts["Jun"][year], counts["Aug"][year])
        assert counts["Oct"][year] > max(counts["Sep"][year], counts["Nov"][year])


def test_summary_counts_agree_with_the_ward_api(user):
    summary = user.get(f"/api/incidents/summary?{SELECTION}").get_json()
    wards = user.get(f"/api/wards?{SELECTION}").get_json()
    by_ward = {
        f["properties"]["ward_name"]: f["properties"]["incidents"] for f in wards["features"]
    }
    assert by_ward == summary["by_ward"]
    assert sum(by_ward.values()) == summary["incidents"] > 0


def test_population_gives_rates(tmp_path):
    pop = tmp_path / "pop.csv"
    pop.write_text("ward,population\nAbbey,8000\nBatchley & Brockhill,10000\n", encoding="utf-8")
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_POPULATION": str(pop)})  # fmt: skip
    doc = app.test_client().get("/api/wards?fy=2018-19").get_json()
    props = {f["properties"]["ward_name"]: f["properties"] for f in doc["features"]}
    abbey = props["Abbey"]
    assert abbey["rate_per_1000"] == pytest.approx(1000 * abbey["incidents"] / 8000, abs=0.01)
    assert props["Batchley and Brockhill"]["population"] == 10000
    assert props["West"]["rate_per_1000"] is None


def test_security_headers(user):
    response = user.get("/map")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"]


def test_security_headers_let_the_map_frame_load_and_only_the_tile_host_in(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_TILES_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"})  # fmt: skip
    client = app.test_client()
    page = client.get("/map")
    assert 'src="/map/frame' in page.get_data(True)
    frame = client.get("/map/frame")
    for response in (page, frame):
        csp = dict(
            p.strip().split(" ", 1) for p in response.headers["Content-Security-Policy"].split(";")
        )
        assert csp["default-src"] == "'self'" and csp["frame-src"] == "'self'"
        assert csp["frame-ancestors"] == "'self'" and csp["connect-src"] == "'self'"
        assert csp["img-src"] == "'self' data: https://*.tiles.example.org"
        assert "tiles.example.org" not in csp["script-src"]
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_demo_mode_without_login_has_a_banner(open_app):
    client = open_app.test_client()
    response = client.get("/map")
    assert response.status_code == 200
    text = response.get_data(True)
    assert 'id="demo-banner"' in text
    assert 'id="logout"' not in text


def test_results_are_cached_per_selection(open_app):
    store = open_app.extensions["hotspots_store"]
    client = open_app.test_client()
    first = client.get("/map/frame?season=winter").get_data(True)
    entries = len(store._cache)
    second = client.get("/map/frame?season=winter").get_data(True)
    assert first == second and len(store._cache) == entries
    client.get("/map/frame?season=spring")
    assert len(store._cache) > entries


# --------------------------------------------------------------------------- concurrency


def _run_threads(targets, timeout: float = 120.0) -> list:
    import threading

    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return [t for t in threads if t.is_alive()]


def test_identical_cold_requests_share_one_computation(monkeypatch, users_db):
    import threading
    import time

    from hotspots import results

    calls = []
    real = results.analyse_period

    def counted(*args, **kwargs):
        calls.append(1)
        time.sleep(0.5)  # long enough for the other requests to arrive (nothing is timed)
        return real(*args, **kwargs)

    monkeypatch.setattr(results, "analyse_period", counted)
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_USERS_DB": str(users_db)})  # fmt: skip
    start = threading.Barrier(6)
    bodies = []

    def request():
        client = app.test_client()
        start.wait()
        bodies.append(client.get("/api/clusters?fy=2018-19&season=summer").get_data(True))

    assert _run_threads([request] * 6) == []
    assert len(bodies) == 6 and len(set(bodies)) == 1 and '"FeatureCollection"' in bodies[0]
    assert len(calls) == 1


def _demo_store(**kwargs):
    from webapp.data import DataStore
    from webapp.dataset import spec_from_config

    return DataStore(spec_from_config({}), **kwargs)


def test_a_cached_answer_is_served_while_another_is_computed():
    import threading

    store = _demo_store(compute_workers=1)  # the slow answer holds the only compute slot
    store.cached("fast", None, lambda d: "ready")
    started, release = threading.Event(), threading.Event()

    def slow(_):
        started.set()
        release.wait(60)
        return "slow"

    got = []
    worker = threading.Thread(target=lambda: got.append(store.cached("slow", None, slow)))
    worker.start()
    assert started.wait(60)
    assert _run_threads([lambda: got.append(store.cached("fast", None, lambda d: "again"))],
                        timeout=30) == []  # fmt: skip
    assert got == ["ready"] and worker.is_alive()
    release.set()
    worker.join(60)
    assert got == ["ready", "slow"]


def test_concurrent_first_requests_load_the_data_once(monkeypatch):
    import threading
    import time

    from webapp import data as data_module

    calls = []
    real = data_module.load_version

    def counted(spec, version):
        calls.append(version)
        time.sleep(0.5)
        return real(spec, version)

    monkeypatch.setattr(data_module, "load_version", counted)
    store = _demo_store()
    start = threading.Barrier(6)
    got = []

    def first_request():
        start.wait()
        got.append(store.loaded())

    assert _run_threads([first_request] * 6) == []
    assert len(calls) == 1 and len(got) == 6 and all(g is got[0] for g in got)


def test_too_many_waiting_computations_get_a_503_with_retry_after(users_db):
    import threading
    import time

    from webapp.dataset import StoreBusy

    store = _demo_store(compute_workers=1, max_waiting=1)
    started, release = threading.Event(), threading.Event()

    def slow(_):
        started.set()
        release.wait(60)
        return "slow"

    first = threading.Thread(target=lambda: store.cached("a", None, slow))
    first.start()
    assert started.wait(60)
    second = threading.Thread(target=lambda: store.cached("b", None, lambda d: "b"))
    second.start()
    for _ in range(600):  # until the second waits for the only slot
        if store._waiting == 1:
            break
        time.sleep(0.05)
    with pytest.raises(StoreBusy):
        store.cached("c", None, lambda d: "c")
    release.set()
    first.join(60)
    second.join(60)
    assert store.cached("b", None, lambda d: "not again") == "b"

    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_USERS_DB": str(users_db)})  # fmt: skip

    def busy():
        raise StoreBusy("9 selections are waiting")

    app.add_url_rule("/busy", "busy", busy)
    response = app.test_client().get("/busy")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "busy" in response.get_data(True)


def test_an_error_reaches_every_waiting_request_and_is_not_kept():
    store = _demo_store()

    def fail(_):
        raise RuntimeError("cannot compute")

    with pytest.raises(RuntimeError, match="cannot compute"):
        store.cached("broken", None, fail)
    assert store.cached("broken", None, lambda d: "fixed") == "fixed"


def test_nested_answers_do_not_deadlock_with_one_compute_slot():
    import time

    store = _demo_store(compute_workers=1)
    version = store.loaded().version
    inner_key = (version, "inner", None)
    got = []

    def outer_compute(_):
        for _ in range(600):  # wait until the other thread leads the inner computation
            if inner_key in store._flights:
                break
            time.sleep(0.05)
        return "outer+" + store.cached("inner", None, lambda d: "never used")

    def outer():
        got.append(store.cached("outer", None, outer_compute))

    def inner():
        time.sleep(0.2)  # let the outer computation take the only slot first
        got.append(store.cached("inner", None, lambda d: "inner"))

    assert _run_threads([outer, inner], timeout=60) == []
    assert sorted(got) == ["inner", "outer+inner"]


# --------------------------------------------------------------------------- personal data


def test_free_text_is_escaped_and_incident_rows_are_never_shown(tmp_path, write_police, users_db):
    evil = "<img src=x onerror=alert(1)>"
    row = (f",2018-10,West Mercia Police,West Mercia Police,-1.9405,52.3065,On or near {evil},"
           "E01032224,Redditch 004A,Anti-social behaviour,,")  # fmt: skip
    formula = '=HYPERLINK("http://evil.example")'
    row2 = row.replace(f"On or near {evil}", formula.replace('"', '""').join('""'))
    path = write_police([row] * 40 + [row2] * 50)
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_USERS_DB": str(users_db),
                      "HOTSPOTS_INPUTS": [str(path)],
                      "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip
    client = app.test_client()
    assert login(client, "analyst1").status_code == 302  # analysts see the text as it is
    for page in ("/map/frame?fy=2018-19", "/clusters?fy=2018-19"):
        text = client.get(page).get_data(True)
        assert "hotspot" in text
        assert evil not in text, page
    assert "&lt;img src=x" in client.get("/clusters?fy=2018-19").get_data(True)
    rows = list(csv.DictReader(io.StringIO(client.get("/clusters.csv?fy=2018-19").get_data(True))))
    assert rows and all(not r["top_locations"].startswith("=") for r in rows)
    assert any(r["top_locations"].startswith("'=HYPERLINK") for r in rows)
    sheet = list(csv.DictReader(io.StringIO(client.get("/tasking.csv?fy=2018-19").get_data(True))))
    # The sheet names a hotspot by its one label, at street level for everyone: no street here.
    assert [(r["label"], r["place"]) for r in sheet] == [("1", "")]


#: A council export whose addresses carry house and flat numbers and a business name.
COUNCIL_ADDRESSES = ["6 Unicorn Hill, Redditch", "Flat 2, 14 Market Place",
                     "Tesco Express, 12 Alcester Street, Redditch B97 4HJ"]  # fmt: skip
HOUSE_NUMBER = re.compile(r"\b(6 Unicorn|14 Market|12 Alcester|Flat 2|Tesco|B97 4HJ)", re.I)


@pytest.fixture(scope="module")
def council_app(tmp_path_factory, users_db):
    path = tmp_path_factory.mktemp("council") / "asb_export.csv"
    lines = ["case_ref,reported_at,category,easting,northing,address"]
    for i in range(60):  # one tight hotspot in the town centre, October 2018
        address = COUNCIL_ADDRESSES[i % 3]
        lines.append(f'ASB-{i:04d},{1 + i % 28:02d}/10/2018 21:{i % 60:02d},Nuisance,'
                     f'{404100 + i % 7 * 4},{267500 + i % 5 * 4},"{address}"')  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_USERS_DB": str(users_db),
                       "HOTSPOTS_INPUTS": [str(path)],
                       "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip


#: Every output that shows place text: pages, API, map popups, CSV and GeoJSON downloads, tasking.
PLACE_OUTPUTS = ["/clusters", "/clusters.csv", "/api/clusters", "/map/frame", "/map",
                 "/tasking", "/tasking.csv", "/tasking.geojson"]  # fmt: skip


@pytest.mark.parametrize("path", PLACE_OUTPUTS)
def test_a_viewer_sees_streets_not_house_numbers(council_app, path):
    client = council_app.test_client()
    assert login(client).status_code == 302  # a viewer
    response = client.get(f"{path}?fy=2018-19")
    assert response.status_code == 200, response.get_data(True)[:500]
    text = response.get_data(True)
    assert not HOUSE_NUMBER.search(text), HOUSE_NUMBER.search(text)
    if path.startswith("/tasking"):  # one label per hotspot: its two main streets (a tie of 3)
        assert "Alcester Street / Market Place" in text
    elif path != "/map":  # the map page itself lists no places
        assert "Unicorn Hill" in text  # the street stays usable
    if not path.startswith(("/map", "/tasking")):  # tasking: one place per hotspot
        assert "Market Place (20)" in text and "Alcester Street (20)" in text


# (not the tasking sheet: it lists each hotspot by its one label, street level for everyone)
@pytest.mark.parametrize("path", ["/clusters", "/clusters.csv", "/api/clusters", "/map/frame"])
def test_an_analyst_sees_full_addresses(council_app, path):
    client = council_app.test_client()
    assert login(client, "analyst1").status_code == 302
    text = client.get(f"{path}?fy=2018-19").get_data(True)
    assert HOUSE_NUMBER.search(text), path


def test_without_login_places_are_street_level(tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text("case_ref,reported_at,category,easting,northing,address\n" + "".join(
        f'A{i},{1 + i % 28:02d}/10/2018 10:00,Nuisance,{404100 + i % 5},267500,"9 Unicorn Hill"\n'
        for i in range(30)), encoding="utf-8")  # fmt: skip
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_INPUTS": [str(path)],
                      "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip
    text = app.test_client().get("/clusters.csv?fy=2018-19").get_data(True)
    assert "Unicorn Hill (30)" in text and "9 Unicorn" not in text


# --------------------------------------------------------------------------- login limits, sessions


@pytest.fixture
def fresh_app(tmp_path):
    db = tmp_path / "users.sqlite"
    add_user(db, USER, PASSWORD, role="viewer")
    add_user(db, "other", PASSWORD, role="viewer")
    return create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(db)})


def test_the_sixth_wrong_password_in_a_minute_gets_429(fresh_app, caplog):
    client = fresh_app.test_client()
    codes = [login(client, password=f"wrong-{i}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    response = login(client)  # even the right password waits
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Too many failed logins" in response.get_data(True)
    assert any("too many failures" in r.getMessage() for r in caplog.records)


def test_failures_are_counted_per_client_address_too(fresh_app):
    client = fresh_app.test_client()
    for i in range(5):  # five different account names from one address
        assert login(client, name=f"nobody{i}", password="wrong-password").status_code == 401
    assert login(client, name="other").status_code == 429
    elsewhere = fresh_app.test_client()
    env = {"REMOTE_ADDR": "10.9.8.7"}
    page = elsewhere.get("/login", environ_base=env)
    data = {"username": "other", "password": PASSWORD, "csrf_token": _token(page.get_data(True))}
    assert elsewhere.post("/login", data=data, environ_base=env).status_code == 302


def test_an_old_cookie_is_refused_after_logout(fresh_app):
    client = fresh_app.test_client()
    assert login(client).status_code == 302
    saved = client.get_cookie("session").value
    page = client.get("/map").get_data(True)
    assert client.post("/logout", data={"csrf_token": _token(page)}).status_code == 302
    replay = fresh_app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/map").status_code == 302  # back to the login page
    assert replay.get("/api/clusters").status_code == 401


def test_logout_ends_the_users_other_sessions(fresh_app):
    first, second = fresh_app.test_client(), fresh_app.test_client()
    assert login(first).status_code == 302 and login(second).status_code == 302
    page = first.get("/map").get_data(True)
    first.post("/logout", data={"csrf_token": _token(page)})
    assert second.get("/map").status_code == 302


def test_a_password_change_ends_the_users_sessions(fresh_app):
    client = fresh_app.test_client()
    assert login(client).status_code == 302
    assert client.get("/map").status_code == 200
    add_user(fresh_app.config["HOTSPOTS_USERS_DB"], USER, "a-new-long-password")
    assert client.get("/map").status_code == 302
    assert login(client, password="a-new-long-password").status_code == 302


def test_secure_cookies_setting(tmp_path):
    db = tmp_path / "u.sqlite"
    add_user(db, USER, PASSWORD)
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(db),
                      "HOTSPOTS_SECURE_COOKIES": True})  # fmt: skip
    client = app.test_client()
    response = login(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    plain = login(create_app({"TESTING": True, "SECRET_KEY": "s",
                              "HOTSPOTS_USERS_DB": str(db)}).test_client())  # fmt: skip
    assert "Secure" not in plain.headers["Set-Cookie"]


# --------------------------------------------------------------------------- real data


def test_real_redditch_data_serves_the_town_centre(shared_data):
    files = sorted((shared_data / "police-uk" / "west-mercia").glob("*.csv"))
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_INPUTS": [str(p) for p in files],
                      "HOTSPOTS_WARDS": str(shared_data / "wards" / "redditch.geojson"),
                      "HOTSPOTS_AREAS": str(get_path("redditch-focus-areas"))})  # fmt: skip
    client = app.test_client()
    summary = client.get("/api/incidents/summary?fy=2018-19&season=autumn").get_json()
    # police.uk: Redditch ASB by LSOA name in October and November 2018 (shared/data's README):
    # 250 and 199. The app counts by ward polygon (generalised), so a few near the edge differ.
    assert sorted(summary["by_month"]) == ["2018-10", "2018-11"]
    # spring and summer 2018-19 are not in the data: "no data" (null), never 0
    assert summary["by_season"]["spring"] is None and summary["by_season"]["summer"] is None
    assert summary["by_season"]["winter"] > 0 and summary["by_season"]["autumn"] > 0
    assert summary["dataset"]["months_covered"] == ["2018-10", "2018-11", "2018-12", "2019-01",
                                                    "2019-02"]  # fmt: skip
    for month, published in (("2018-10", 250), ("2018-11", 199)):
        assert summary["by_month"][month] == pytest.approx(published, rel=0.05)
    text = client.get("/map?area=Town+centre").get_data(True)
    assert '<option value="Town centre" selected' in text
    frame = client.get("/map/frame?area=Town+centre&season=autumn").get_data(True)
    assert "hotspot-hull" in frame
    wards = client.get("/wards.csv").get_data(True)
    assert "Batchley & Brockhill" in wards and "Grand Total" in wards


def test_real_part_year_seasonal_page_says_no_data_for_the_months_not_covered(shared_data):
    """The five real months (Oct 2018 to Feb 2019): the other seven read "no data", never 0."""
    files = sorted((shared_data / "police-uk" / "west-mercia").glob("*.csv"))
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_INPUTS": [str(p) for p in files],
                      "HOTSPOTS_WARDS": str(shared_data / "wards" / "redditch.geojson")})  # fmt: skip
    client = app.test_client()
    covered, missing = ["Oct", "Nov", "Dec", "Jan", "Feb"], ["Apr", "May", "Jun", "Jul", "Aug",
                                                              "Sep", "Mar"]  # fmt: skip
    with app.app_context():
        from webapp.params import store
        from webapp.selection import Selection

        profile = store().monthly(Selection("2018-19"))
    assert list(profile.columns) == ["2018-19"]
    assert profile.loc[missing, "2018-19"].isna().all(), profile
    assert (profile.loc[covered, "2018-19"] > 0).all(), profile
    for query in ("", "?area=ward:Abbey"):
        text = client.get(f"/seasonal{query}").get_data(True)
        table = text[text.index('<table id="seasonal-table"') :]
        rows = dict(re.findall(r'<th scope="row">(\w+)</th><td class="[^"]+">([^<]*)</td>', table))
        assert [rows[m] for m in missing] == ["no data"] * len(missing), rows
        assert all(rows[m].isdigit() for m in covered), rows
        note = text[text.index('id="no-data-note"') :]
        assert "2018-19: Apr–Sep, Mar" in note[:300]
        svg = text[text.index("<svg") : text.index("</svg>")]
        assert "no data" in svg and "Contains public sector information" in svg


def test_hotspots_serve_runs_the_demo_under_waitress_without_login_on_loopback():
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-c",
        "from hotspots.cli import main; main()",
        "serve",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # bounded wait for the server to come up (no timing asserted)
            try:
                with urllib.request.urlopen(base + "/healthz") as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.1)
        for _ in range(600):  # "computing…" (202) until the workers have the map's result
            with urllib.request.urlopen(base + "/map") as r:
                page = r.read().decode()
                assert r.headers["Server"] == "hotspots"  # waitress, named by `ident`
            if r.status != 202:
                break
            assert 'id="computing"' in page and r.headers["Retry-After"]
            time.sleep(0.2)
        assert 'id="demo-banner"' in page and 'id="map-frame"' in page
    finally:
        proc.terminate()
        proc.wait(timeout=30)
