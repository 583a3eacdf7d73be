"""Web app commands: ``serve`` (the app under waitress) and ``users`` (logins)."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from pathlib import Path

import click

from hotspots.cli._common import dbscan_options, store_option
from hotspots.cli._maps import map_options

log = logging.getLogger(__name__)

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True when ``host`` can be reached only from this computer.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("10.1.2.3")
    (True, True, False, False)
    """
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_config(
    *,
    data: tuple[Path, ...],
    wards: Path | None,
    areas: Path | None,
    population: Path | None,
    host: str,
    tiles_url: str | None,
    tiles_attribution: str | None,
    eps_m: float | None,
    min_samples: int | None,
    users_db: Path | None,
    store: str | None = None,
    params: Path | None = None,
    postcodes: Path | None = None,
    columns: tuple[str, ...] = (),
    crime_types: tuple[str, ...] = (),
    date_format: str | None = None,
    secure_cookies: bool | None = None,
    basemap: str | None = None,
    basemap_attribution: str | None = None,
    os_api_key: str | None = None,
    roads: str | None = None,
    proxy_count: int = 0,
) -> dict:
    """The app config for ``hotspots serve``: login off only for the demo on loopback.

    The data options are the CLI's (``--postcodes``, ``--column``,
    ``--crime-type``, ``--date-format``), read by the same loader. Session
    cookies are ``Secure`` unless serving on loopback (or ``secure_cookies`` says).

    Examples
    --------
    >>> cfg = serve_config(data=(), wards=None, areas=None, population=None, host="127.0.0.1",
    ...                    tiles_url=None, tiles_attribution=None, eps_m=100, min_samples=None,
    ...                    users_db=None)
    >>> cfg["HOTSPOTS_REQUIRE_LOGIN"], cfg["HOTSPOTS_SECURE_COOKIES"]
    (False, False)
    """
    demo = not data and not store
    config = {
        "HOTSPOTS_INPUTS": [str(p) for p in data],
        "HOTSPOTS_WARDS": str(wards) if wards else None,
        "HOTSPOTS_AREAS": str(areas) if areas else None,
        "HOTSPOTS_POPULATION": str(population) if population else None,
        "HOTSPOTS_TILES_URL": tiles_url,
        "HOTSPOTS_TILES_ATTRIBUTION": tiles_attribution,
        "HOTSPOTS_BASEMAP": basemap,
        "HOTSPOTS_BASEMAP_ATTRIBUTION": basemap_attribution,
        "HOTSPOTS_OS_API_KEY": os_api_key,
        "HOTSPOTS_ROADS": roads,
        "HOTSPOTS_EPS_M": eps_m,
        "HOTSPOTS_MIN_SAMPLES": min_samples,
        "HOTSPOTS_REQUIRE_LOGIN": not (demo and is_loopback(host)),
        "HOTSPOTS_POSTCODES": str(postcodes) if postcodes else None,
        "HOTSPOTS_COLUMNS": list(columns),
        "HOTSPOTS_CRIME_TYPES": list(crime_types) or None,
        "HOTSPOTS_DATE_FORMAT": date_format or None,
        "HOTSPOTS_SECURE_COOKIES": (
            not is_loopback(host) if secure_cookies is None else bool(secure_cookies)
        ),
        "HOTSPOTS_PROXY_COUNT": int(proxy_count or 0),
    }
    if store:
        from hotspots.cli._common import resolve_store

        config["HOTSPOTS_STORE"] = resolve_store(store)
    if params:  # the file's eps/min_samples, unless given on the command line (not None)
        config["HOTSPOTS_PARAMS"] = str(params)
        for key in ("HOTSPOTS_EPS_M", "HOTSPOTS_MIN_SAMPLES"):
            if config[key] is None:
                del config[key]
    elif eps_m is None:
        config["HOTSPOTS_EPS_M"] = 100.0
    if users_db:
        config["HOTSPOTS_USERS_DB"] = str(users_db)
    return config


@click.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Incident file (police.uk CSV, folder, zip or council export); repeat for "
    "several. Default: the embedded demo borough.",
)
@click.option(
    "--wards",
    type=click.Path(exists=True, path_type=Path),
    help="Ward boundaries (needed with --data).",
)
@click.option(
    "--areas",
    type=click.Path(exists=True, path_type=Path),
    help="Focus areas (town centre, district centres) as TOML or polygons.",
)
@click.option(
    "--population",
    type=click.Path(exists=True, path_type=Path),
    help="CSV of ward,population: the ward layer shows rates per 1,000 residents.",
)
@click.option(
    "--postcodes",
    type=click.Path(exists=True, path_type=Path),
    help="Postcode directory (OS Code-Point Open or ONS Postcode Directory CSV) for "
    "council rows that have a postcode but no coordinates.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="ROLE=NAME",
    help="Name a council export's column (as for `hotspots clusters`), e.g. "
    "--column date='Date Reported' --column postcode=PCODE.",
)
@click.option(
    "--crime-type",
    "crime_types",
    multiple=True,
    metavar="TYPE",
    help="police.uk Crime type to keep (repeat for several; 'all' keeps every type) "
    "[default: Anti-social behaviour].",
)
@click.option(
    "--date-format",
    metavar="FORMAT",
    help="Force the council date format (strftime codes, e.g. '%d/%m/%Y %H:%M').",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Send the login cookie over HTTPS only [default: on unless --host is "
    "loopback; put the app behind an HTTPS proxy]. Also HOTSPOTS_SECURE_COOKIES.",
)
@click.option(
    "--proxy-count",
    type=click.IntRange(0, 10),
    default=0,
    show_default=True,
    help="Reverse proxies in front of the app (e.g. 1 for nginx doing HTTPS): the "
    "client address and scheme are then taken from their X-Forwarded-For and "
    "X-Forwarded-Proto headers. Give it only behind a proxy that sets them, or "
    "clients can pretend to be anyone. Also HOTSPOTS_PROXY_COUNT.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback requires logins.",
)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@map_options
@click.option("--tiles-url", hidden=True, help="Older name of --basemap URL.")
@click.option("--tiles-attribution", hidden=True, help="Older name of --basemap-attribution.")
@dbscan_options(eps_default=None, hull_buffer=False, params_dest="params")
@click.option(
    "--users-db",
    type=click.Path(path_type=Path),
    help="Users file [default: instance/users.sqlite].",
)
@store_option(read=True)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Server threads. Results are computed in worker processes "
    "(HOTSPOTS_COMPUTE_WORKERS of them), never in these threads: they keep "
    "answering /healthz and ready pages, and say 'computing…' meanwhile.",
)
@click.option(
    "--compute",
    type=click.Choice(["workers", "inline"]),
    default="workers",
    envvar="HOTSPOTS_COMPUTE",
    show_default=True,
    help="Where results are computed: worker processes (every period's map made when "
    "the data is loaded, or read from the store; 'computing…' while one is not ready), "
    "or inline: in the server's threads when first asked for (the older way; for "
    "comparison). Also HOTSPOTS_COMPUTE.",
)
def serve(host: str, port: int, threads: int, compute: str, **kwargs) -> None:  # fmt: skip
    """Run the web app under waitress (a production WSGI server).

    With no --data on a loopback host it serves the embedded demo with no login
    (a banner says so). Otherwise every page needs a login: add users first with
    `hotspots users add NAME`.

    The data options are those of `hotspots clusters`. Viewers see place text
    at street level (no house numbers); analysts (`users add NAME --role
    analyst`) see it in full.

    \b
    Examples:
      hotspots serve                                   # demo on http://127.0.0.1:5000
      hotspots serve --basemap osm                     # OpenStreetMap under the demo
      hotspots serve --basemap streets.mbtiles         # local tiles, served by the app
      hotspots serve --data ../shared/data/police-uk/west-mercia \\
          --wards ../shared/data/wards/redditch.geojson \\
          --areas boundaries/redditch_focus_areas.toml --host 0.0.0.0
      hotspots serve --data asb_export.csv --postcodes codepoint.csv \\
          --column date='Date Reported' --wards wards.geojson
    """
    from webapp import create_app
    from webapp.dataset import DataLoadError
    from webapp.selection import NoData
    from webapp.users import list_users

    config = serve_config(host=host, **kwargs)
    config["HOTSPOTS_COMPUTE"] = compute
    # Requests waiting for a compute slot may take at most all but 4 threads: the rest stay
    # free for /healthz and cached pages (more waiting requests get 503 with Retry-After).
    workers = min(4, os.cpu_count() or 1)
    config["HOTSPOTS_COMPUTE_WORKERS"] = workers
    config["HOTSPOTS_MAX_WAITING"] = max(1, threads - workers - 4)
    app = create_app(config)
    server = listen(app, host=host, port=port, threads=threads)  # a busy port: say so first
    store = app.extensions["hotspots_store"]
    click.echo("loading the data ...", err=True)
    try:
        loaded = store.loaded()
        click.echo(loaded.prepared.summary(), err=True)
        if store.workers is not None:
            click.echo(f"period results: {store.stats['stored']} read from the store, "
                       f"{store.computing()} being computed in {store.workers.processes} worker "
                       "process(es)", err=True)  # fmt: skip
    except NoData as exc:  # a new, empty store: serve, and show the data once it is ingested
        click.echo(f"{exc} The pages say so until then.", err=True)
    except DataLoadError as exc:
        from hotspots._secrets import redact_text

        server.close()
        message = redact_text(str(exc), config.get("HOTSPOTS_STORE"))
        raise click.ClickException(f"the data cannot be loaded: {message}") from None
    if app.config["HOTSPOTS_SECURE_COOKIES"]:
        click.echo("login cookies are Secure: serve over HTTPS (a proxy), or pass "
                   "--no-secure-cookies on a trusted network", err=True)  # fmt: skip
    if app.config["HOTSPOTS_REQUIRE_LOGIN"]:
        db = app.config["HOTSPOTS_USERS_DB"]
        if not list_users(db):
            click.echo(
                f"warning: no users in {db}; add one with `hotspots users add NAME` "
                f"(nobody can log in until then)",
                err=True,
            )
    else:
        click.echo("demo mode on loopback: no login needed", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving on http://{shown}:{port}/  (Ctrl+C to stop)", err=True)
    server.run()


def listen(app, *, host: str, port: int, threads: int):
    """A waitress server for ``app`` bound to ``host:port`` (not yet serving).

    A port in use, or an address this computer does not have, is one line
    (a :class:`click.ClickException`), never a traceback.
    """
    import errno
    import socket

    import waitress

    try:
        return waitress.create_server(app, host=host, port=port, threads=threads, ident="hotspots")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            message = f"port {port} is in use; give --port"
        elif exc.errno == errno.EACCES:
            message = (
                f"port {port} needs more privileges than this user has; give --port above 1023"
            )
        elif exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
            message = f"cannot listen on {host!r}: not an address of this computer; check --host"
        else:
            message = (
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); check --host and --port"
            )
        raise click.ClickException(message) from None


@click.group()
def users() -> None:
    """Manage the web app's users (passwords hashed; roles viewer / analyst)."""


def _db_option(func):
    return click.option(
        "--db", "db", type=click.Path(path_type=Path),
        help="Users file [default: the app's, instance/users.sqlite].",
    )(func)  # fmt: skip


def _default_db(db: Path | None) -> Path:
    if db:
        return db
    from webapp import create_app

    return Path(create_app({}).config["HOTSPOTS_USERS_DB"])


@users.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(["viewer", "analyst"]), default="viewer", show_default=True
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_db_option
def users_add(name: str, role: str, password_stdin: bool, db: Path | None) -> None:
    """Add user NAME (or set a new password and role for an existing one)."""
    from webapp.users import add_user, get_user

    db = _default_db(db)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    existed = get_user(db, name) is not None
    user = add_user(db, name, password, role=role)
    click.echo(f"{'updated' if existed else 'added'} user {user.name} ({user.role}) in {db}")


@users.command("list")
@_db_option
def users_list(db: Path | None) -> None:
    """List the users and their roles."""
    from webapp.users import list_users

    db = _default_db(db)
    found = list_users(db)
    for user in found:
        click.echo(f"{user.name}\t{user.role}")
    if not found:
        click.echo(f"no users in {db}", err=True)


@users.command("remove")
@click.argument("name")
@_db_option
def users_remove(name: str, db: Path | None) -> None:
    """Remove user NAME."""
    from webapp.users import remove_user

    db = _default_db(db)
    if not remove_user(db, name):
        raise click.ClickException(f"no user {name!r} in {db}")
    click.echo(f"removed user {name}")
