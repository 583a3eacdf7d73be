"""Secrets are never shown: store addresses for people, and every page, log line and CLI line.

Issue 18, point 3: a database password in the store URL (in the userinfo, in a
``password=`` query value, or with an unencoded ``@``) must not reach a page,
the log or the terminal; viewers see no server file paths on ``/about``.
"""

from __future__ import annotations

import logging
import re

import pytest
from click.testing import CliRunner

from hotspots._secrets import redact_address, redact_text
from hotspots.cli import main
from webapp import create_app
from webapp.users import add_user

PASSWORD = "a-long-test-password"
SECRET = "Hunter2Secret"  # the database password the tests hide
QUERY_SECRET = "QuerySecret99"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("postgresql://me:Hunter2Secret@db.example/asb",
         "postgresql://me:***@db.example/asb"),
        ("postgresql://me:Hun@ter2@db.example:5433/asb",
         "postgresql://me:***@db.example:5433/asb"),
        ("postgresql://me:p%40ss@db.example/asb", "postgresql://me:***@db.example/asb"),
        ("postgresql://db.example/asb?user=me&password=Hunter2Secret&sslmode=require",
         "postgresql://db.example/asb?user=me&password=***&sslmode=require"),
        ("postgresql://db.example/asb?sslpassword=Hunter2Secret",
         "postgresql://db.example/asb?sslpassword=***"),
        ("host=db.example dbname=asb user=me password=Hunter2Secret",
         "host=db.example dbname=asb user=me password=***"),
        ("host=db.example password = 'Hunter 2 Secret' dbname=asb",
         "host=db.example password = *** dbname=asb"),
        ("PGPASSWORD=Hunter2Secret psql", "PGPASSWORD=*** psql"),
        ("postgresql://me@db.example/asb?application_name=a@b",
         "postgresql://me@db.example/asb?application_name=a@b"),
        ("/srv/hotspots/store.gpkg", "/srv/hotspots/store.gpkg"),
    ],
)  # fmt: skip
def test_redact_address_masks_every_form_of_password(given, shown):
    assert redact_address(given) == shown


def test_redact_text_hides_the_password_and_its_parts_in_an_error():
    url = "postgresql://me:Hun@ter2Secret@db.example/asb"
    text = 'could not translate host name "ter2Secret@db.example" to address; ' + url
    out = redact_text(text, url)
    assert "ter2Secret" not in out and "Hun@" not in out
    assert "db.example" in out


# --------------------------------------------------------------------------- whole app


@pytest.fixture(scope="module")
def secret_store(postgis_server, tmp_path_factory):
    """A PostGIS store holding the demo, addressed by a URL with the password twice.

    The test server trusts loopback connections, so the passwords are ignored
    by it but sit in the URL the app is given, as a production one would.
    """
    from boundaries import get_path

    plain = postgis_server.new_database()  # postgresql://postgres@127.0.0.1:PORT/t_x
    url = plain.replace("postgres@", f"postgres:{SECRET}@") + f"?password={QUERY_SECRET}"
    result = CliRunner().invoke(
        main,
        ["ingest", str(get_path("demo-incidents")), "--store", url,
         "--wards", str(get_path("demo-wards")), "--areas", str(get_path("demo-focus-areas"))],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return url, result.output


def _no_secret(text: str, where: str) -> None:
    for secret in (SECRET, QUERY_SECRET):
        assert secret not in text, f"{secret!r} shown in {where}"


def test_the_cli_store_line_hides_the_password(secret_store, tmp_path, caplog):
    url, ingest_output = secret_store
    _no_secret(ingest_output, "ingest's output")
    assert "store: postgresql://postgres:***@127.0.0.1" in ingest_output
    result = CliRunner().invoke(main, ["check", "--store", url])
    _no_secret(result.output, "check's output")
    assert "password=***" in result.output
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "wards.csv"
    result = CliRunner().invoke(main, ["-vv", "wards", "--store", url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    _no_secret(result.output, "wards' output")
    log = "\n".join(r.getMessage() for r in caplog.records)
    _no_secret(log, "the CLI's log")
    assert "from the store postgresql://postgres:***@" in log


def test_no_page_or_log_line_shows_the_password(secret_store, tmp_path, caplog):
    url, _ = secret_store
    db = tmp_path / "users.sqlite"
    add_user(db, "viewer1", PASSWORD, role="viewer")
    add_user(db, "analyst1", PASSWORD, role="analyst")
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(db),
                      "HOTSPOTS_STORE": url})  # fmt: skip
    caplog.set_level(logging.DEBUG)
    paths = [str(rule.rule) for rule in app.url_map.iter_rules()
             if not rule.arguments and "GET" in rule.methods]  # fmt: skip
    for name in ("viewer1", "analyst1"):
        client = app.test_client()
        page = client.get("/login").get_data(True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = {"username": name, "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=data).status_code == 302
        for path in paths:
            response = client.get(path)
            _no_secret(response.get_data().decode("utf-8", "replace"), f"{path} for {name}")
            _no_secret(str(response.headers), f"{path}'s headers for {name}")
        about = client.get("/about").get_data(True)
        assert "PostGIS" in about
        if name == "analyst1":
            assert "127.0.0.1" in about and "***" in about
        else:
            assert "127.0.0.1" not in about  # where the server is: for analysts
    _no_secret("\n".join(r.getMessage() for r in caplog.records), "the log")


def test_a_connection_error_hides_a_password_with_an_unencoded_at(postgis_server):
    base = postgis_server.new_database()
    port = re.search(r":(\d+)/", base).group(1)
    for url in (f"postgresql://postgres:Hun@ter2Secret@127.0.0.1:{port}/no_such_db",
                f"postgresql://postgres@127.0.0.1:{port}/no_such_db?password={QUERY_SECRET}",
                f"postgresql://postgres:{SECRET}@127.0.0.1:1/asb"):  # fmt: skip
        result = CliRunner().invoke(main, ["check", "--store", url])
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        for part in ("ter2Secret", "Hun@", SECRET, QUERY_SECRET):
            assert part not in result.output, result.output
        assert "cannot connect to the PostGIS store" in result.output


def test_viewers_see_no_server_paths_on_about(tmp_path):
    from boundaries import get_path

    store = tmp_path / "private-folder" / "asb.gpkg"
    store.parent.mkdir()
    result = CliRunner().invoke(
        main, ["ingest", str(get_path("demo-incidents")), "--store", str(store),
               "--wards", str(get_path("demo-wards"))],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    db = tmp_path / "users.sqlite"
    add_user(db, "viewer1", PASSWORD, role="viewer")
    add_user(db, "analyst1", PASSWORD, role="analyst")
    for config in ({"HOTSPOTS_STORE": str(store)},
                   {"HOTSPOTS_INPUTS": [str(get_path("demo-incidents"))],
                    "HOTSPOTS_WARDS": str(get_path("demo-wards"))}):  # fmt: skip
        app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(db),
                          **config})  # fmt: skip
        shown = {}
        for name in ("viewer1", "analyst1"):
            client = app.test_client()
            page = client.get("/login").get_data(True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            client.post("/login", data={"username": name, "password": PASSWORD,
                                        "csrf_token": token})  # fmt: skip
            response = client.get("/about")
            assert response.status_code == 200
            shown[name] = response.get_data(True)
        folder = (
            str(get_path("demo-incidents").parent) if "HOTSPOTS_INPUTS" in config else str(tmp_path)
        )
        assert folder not in shown["viewer1"], config
        assert folder in shown["analyst1"], config


def test_a_store_that_cannot_be_opened_shows_no_password_on_pages_log_or_serve(
    postgis_server, tmp_path, caplog
):
    base = postgis_server.new_database()
    port = re.search(r":(\d+)/", base).group(1)
    url = (
        f"postgresql://postgres:Hun@ter2Secret@127.0.0.1:{port}/no_such_db?password={QUERY_SECRET}"
    )
    db = tmp_path / "users.sqlite"
    add_user(db, "analyst1", PASSWORD, role="analyst")
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(db),
                      "HOTSPOTS_STORE": url})  # fmt: skip
    client = app.test_client()
    page = client.get("/login").get_data(True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "analyst1", "password": PASSWORD, "csrf_token": token})
    caplog.set_level(logging.DEBUG)
    response = client.get("/map")
    assert response.status_code == 503
    shown = response.get_data(True) + "\n".join(r.getMessage() for r in caplog.records)
    assert "cannot connect to the PostGIS store" in shown
    for part in ("ter2Secret", "Hun@", QUERY_SECRET):
        assert part not in shown
    result = CliRunner().invoke(main, ["serve", "--store", url, "--users-db", str(db)])
    assert result.exit_code != 0 and "cannot connect" in result.output
    for part in ("ter2Secret", "Hun@", QUERY_SECRET):
        assert part not in result.output, result.output


def test_the_store_error_itself_hides_the_password(postgis_server):
    from hotspots.store.address import StoreError, describe
    from hotspots.store.store import open_store

    base = postgis_server.new_database()
    port = re.search(r":(\d+)/", base).group(1)
    url = (
        f"postgresql://postgres:Hun@ter2Secret@127.0.0.1:{port}/no_such_db?password={QUERY_SECRET}"
    )
    with pytest.raises(StoreError) as caught:
        open_store(url, create=False)
    message = str(caught.value)
    for part in ("ter2Secret", "Hun@", QUERY_SECRET):
        assert part not in message, message
    assert "no_such_db" in message  # the bare @ was read as part of the password: right host
    assert describe(url) == redact_address(url)


def test_a_password_with_a_bare_at_connects(postgis_server):
    from hotspots.store.store import open_store

    base = postgis_server.new_database()  # trust auth: any password is accepted
    with open_store(base.replace("postgres@", "postgres:p@ss@"), create=True) as opened:
        assert opened.backend.name == "PostGIS"


def test_redact_text_keeps_an_address_readable_when_the_password_is_a_common_word():
    url = "postgresql://postgres:postgres@db.example/asb"
    text = f"cannot connect to {url} (password authentication failed)"
    assert redact_text(text, url) == (
        "cannot connect to postgresql://postgres:***@db.example/asb (password authentication failed)"
    )


def test_a_store_given_twice_is_refused_without_showing_its_password():
    first = f"postgresql://me:{SECRET}@db.example/asb"
    second = f"postgresql://me@db.example/asb?password={QUERY_SECRET}"
    result = CliRunner().invoke(main, ["check", "--store", first, "--store", second])
    assert result.exit_code == 2 and "--store was given 2 times" in result.output
    _no_secret(result.output, "the repeated-option error")
