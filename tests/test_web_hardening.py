"""Issue 18's web points: bounded routes, logins behind a proxy, headers, busy port, no data.

* tiles: z, x and y are checked against the tile file's zoom range and 2^z
  before any arithmetic; every route given huge numbers answers 4xx, never a
  traceback, and ``/healthz`` still answers;
* any route's exception is one log line and a 500 page;
* ``--proxy-count``: the client address from ``X-Forwarded-For``; lockout per
  account *and* address; HSTS with secure cookies; no inline scripts allowed
  except the map frame's own, by hash;
* ``serve`` on a busy port: one line; no data yet: a page saying so.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import socket
import subprocess
import sys

import pytest

from boundaries import get_path
from tests._tiles import make_mbtiles
from tests.conftest import POLICE_HEADER, police_row
from webapp import create_app
from webapp.users import add_user

USER, PASSWORD = "officer", "a-long-test-password"
HUGE = ["99999999999999999999", str(2**64), "-1", "64", "9" * 5000, "1e999", "nan"]


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, name=USER, password=PASSWORD, addr=None, forwarded=None):
    env = {"REMOTE_ADDR": addr} if addr else {}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/login", environ_base=env, headers=headers)
    data = {"username": name, "password": password, "csrf_token": _token(page.get_data(True))}
    return client.post("/login", data=data, environ_base=env, headers=headers)


@pytest.fixture(scope="module")
def users_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("users") / "users.sqlite"
    add_user(db, USER, PASSWORD, role="viewer")
    add_user(db, "analyst1", PASSWORD, role="analyst")
    return db


@pytest.fixture(scope="module")
def tiles_app(tmp_path_factory, users_db):
    """The demo with a local tile file (zooms 10 to 15) as the basemap."""
    path = make_mbtiles(tmp_path_factory.mktemp("tiles") / "t.mbtiles")
    return create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(users_db),
                       "HOTSPOTS_BASEMAP": str(path)})  # fmt: skip


@pytest.fixture
def analyst(tiles_app):
    client = tiles_app.test_client()
    assert login(client, "analyst1").status_code == 302
    return client


# --------------------------------------------------------------------------- bounded routes


def test_a_tile_inside_the_files_range_is_served(analyst):
    response = analyst.get("/tiles/12/2025/1347.png")
    assert response.status_code == 200 and response.mimetype == "image/png"


@pytest.mark.parametrize(
    "path",
    ["/tiles/99999999999999999999/0/0.png", f"/tiles/{2**64}/0/0.png", "/tiles/64/0/0.png",
     "/tiles/9/0/0.png", "/tiles/16/0/0.png", "/tiles/12/4096/0.png", "/tiles/12/0/4096.png",
     "/tiles/12/99999999999999999999/0.png", f"/tiles/{'9' * 5000}/0/0.png",
     "/tiles/-1/0/0.png", "/tiles/12/0/0.jpg"],
    ids=["huge-z", "z-2^64", "z-64", "below-min", "above-max", "x-2^z", "y-2^z", "huge-x",
         "5000-digits", "negative", "other-format"],
)  # fmt: skip
def test_a_tile_outside_the_files_range_is_a_404_without_reading_it(analyst, monkeypatch, path):
    from hotspots.draw import basemap

    def never(*args):
        raise AssertionError(f"the tile file was read for {path}")

    monkeypatch.setattr(basemap.TileFile, "get", never)
    response = analyst.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(True)


def _fuzzed_urls(app) -> list[str]:
    """Every GET route with each huge value in each path argument and query parameter."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for value in HUGE:
            path = re.sub(
                r"<(?:[^>:]+:)?([^>]+)>",
                lambda m, v=value: "png" if m.group(1) == "ext" else v,
                rule.rule,
            )
            query = "&".join(f"{p}={value}" for p in
                             ("fy", "season", "area", "ward", "eps", "min_samples", "focus"))  # fmt: skip
            urls += [path, f"{path}?{query}"]
    return sorted(set(urls))


def test_every_route_with_huge_numbers_answers_4xx_and_healthz_stays_up(analyst):
    urls = _fuzzed_urls(analyst.application)
    assert len(urls) > 100
    bad = {}
    for url in urls:
        response = analyst.get(url)
        if response.status_code >= 500 or b"Traceback" in response.get_data():
            bad[url[:80]] = response.status_code
    assert not bad
    assert analyst.get("/healthz").get_json() == {"status": "ok"}


def test_an_exception_is_one_log_line_and_a_500_page(users_db, caplog):
    app = create_app({"SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_USERS_DB": str(users_db)})  # fmt: skip

    def boom():
        raise RuntimeError("first line\nsecond line")

    app.add_url_rule("/boom", "boom", boom)
    caplog.set_level(logging.DEBUG, logger="webapp")
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(True)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    record = errors[0]
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "/boom" in record.getMessage() and "RuntimeError" in record.getMessage()


# --------------------------------------------------------------------------- logins


@pytest.fixture
def fresh_db(tmp_path):
    db = tmp_path / "users.sqlite"
    add_user(db, USER, PASSWORD, role="viewer")
    return db


def test_a_stranger_cannot_lock_a_user_out(fresh_db):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(fresh_db)})
    stranger = app.test_client()
    codes = [login(stranger, password=f"wrong-{i}", addr="198.51.100.7").status_code
             for i in range(6)]  # fmt: skip
    assert codes == [401] * 5 + [429]
    assert login(stranger, addr="198.51.100.7").status_code == 429  # that address waits
    assert login(app.test_client(), addr="10.1.2.3").status_code == 302  # the user does not


def test_proxy_count_takes_the_client_address_from_x_forwarded_for(fresh_db, caplog):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(fresh_db),
                      "HOTSPOTS_PROXY_COUNT": 1})  # fmt: skip
    proxy = "10.0.0.2"  # every request comes through the same proxy
    client = app.test_client()
    caplog.set_level(logging.INFO)
    for i in range(5):
        response = login(client, password=f"wrong-{i}", addr=proxy, forwarded="203.0.113.9")
        assert response.status_code == 401
    assert any("203.0.113.9" in r.getMessage() for r in caplog.records)
    assert login(client, addr=proxy, forwarded="203.0.113.9").status_code == 429
    other = app.test_client()
    assert login(other, addr=proxy, forwarded="192.0.2.44").status_code == 302


def test_without_proxy_count_x_forwarded_for_is_ignored(fresh_db):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(fresh_db)})
    client = app.test_client()
    for i in range(5):  # a client cannot dodge the limit by sending the header itself
        login(
            client, name=f"nobody{i}", password="wrong", addr="10.0.0.2", forwarded=f"192.0.2.{i}"
        )
    assert login(client, addr="10.0.0.2", forwarded="192.0.2.99").status_code == 429


def test_serve_has_a_proxy_count_option():
    from hotspots.cli.web import serve_config

    cfg = serve_config(data=(), wards=None, areas=None, population=None, host="0.0.0.0",
                       tiles_url=None, tiles_attribution=None, eps_m=100, min_samples=None,
                       users_db=None, proxy_count=2)  # fmt: skip
    assert cfg["HOTSPOTS_PROXY_COUNT"] == 2


def test_hsts_only_when_cookies_are_secure(fresh_db):
    secure = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(fresh_db),
                         "HOTSPOTS_SECURE_COOKIES": True})  # fmt: skip
    header = secure.test_client().get("/login").headers.get("Strict-Transport-Security", "")
    assert re.fullmatch(r"max-age=\d{7,}", header)
    plain = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(fresh_db)})
    assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers


def _script_src(response) -> list[str]:
    policy = dict(
        p.strip().split(" ", 1) for p in response.headers["Content-Security-Policy"].split(";")
    )
    return policy["script-src"].split()


def test_no_inline_script_is_allowed_except_the_map_frames_own_by_hash():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False})
    client = app.test_client()
    for path in ("/map", "/wards", "/clusters", "/tasking", "/about", "/login"):
        assert _script_src(client.get(path)) == ["'self'"], path
    frame = client.get("/map/frame")
    sources = _script_src(frame)
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    inline = re.findall(r"<script>(.*?)</script>", frame.get_data(True), re.S)
    assert len(inline) >= 2
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in sources
    assert len(sources) == 1 + len(set(inline))


# --------------------------------------------------------------------------- serve, no data


def test_serve_on_a_busy_port_says_so_in_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cmd = [sys.executable, "-c", "from hotspots.cli import main; main()", "serve",
               "--port", str(port)]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert f"port {port} is in use; give --port" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "serving on" not in done.stderr


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory, users_db):
    """Data with no incidents of the kept type (a fresh install, or the wrong crime type)."""
    folder = tmp_path_factory.mktemp("empty")
    path = folder / "2018-10-test-street.csv"
    path.write_text(POLICE_HEADER + "\n" + police_row(crime="Burglary") + "\n", encoding="utf-8")
    return create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(users_db),
                       "HOTSPOTS_INPUTS": [str(path)],
                       "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip


@pytest.mark.parametrize("path", ["/map", "/tasking", "/tasking.pdf", "/report.pptx", "/wards",
                                  "/api/clusters"])  # fmt: skip
def test_no_data_yet_is_a_page_saying_so_not_a_parameter_error(empty_app, path):
    client = empty_app.test_client()
    assert login(client, "analyst1").status_code == 302
    response = client.get(path)
    text = response.get_data(True)
    assert "there is no data yet" in text.lower(), text[:500]
    assert "cannot be" not in text and "allowed:" not in text
    assert response.status_code == 404


def test_an_empty_store_says_there_is_no_data_yet(tmp_path, users_db):
    from hotspots.store.store import open_store

    path = tmp_path / "new.gpkg"
    open_store(path, create=True).close()  # a fresh install: the store exists, nothing loaded
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(users_db),
                      "HOTSPOTS_STORE": str(path)})  # fmt: skip
    client = app.test_client()
    assert login(client, "analyst1").status_code == 302
    for page in ("/map", "/tasking", "/api/clusters"):
        response = client.get(page)
        assert response.status_code == 404, page
        assert "there is no data yet" in response.get_data(True).lower()
    assert client.get("/healthz").status_code == 200
