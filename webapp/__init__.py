"""The hotspots web app (Flask): officers view hotspot maps by season and area.

``create_app(config)`` builds the app (flaskr style: blueprints, configuration
in ``app.config``). Development server: ``flask --app webapp run`` (reads
``HOTSPOTS_*`` environment variables); production: ``hotspots serve``
(waitress).

Configuration keys (defaults in :data:`DEFAULTS`):

==============================  =============================================
``HOTSPOTS_INPUTS``             incident files (empty: the embedded demo)
``HOTSPOTS_WARDS``              ward boundaries (default: the demo wards)
``HOTSPOTS_AREAS``              focus areas (default: the demo's, on the demo)
``HOTSPOTS_POPULATION``         CSV ``ward,population`` for rates per 1,000
``HOTSPOTS_POSTCODES``          postcode directory for council exports
``HOTSPOTS_CRIME_TYPES``        police.uk crime types (list; default ASB)
``HOTSPOTS_COLUMNS``            council columns named, ``ROLE=NAME`` strings
``HOTSPOTS_DATE_FORMAT``        council date format forced (default: detected)
``HOTSPOTS_STORE``              store path or URL to read instead of files
``HOTSPOTS_EPS_M``              DBSCAN radius in metres (100)
``HOTSPOTS_MIN_SAMPLES``        DBSCAN min_samples (None: chosen from the data)
``HOTSPOTS_PARAMS``             DBSCAN parameter file from ``hotspots tune -o``
                                (its values unless the two keys above are given)
``HOTSPOTS_BASEMAP``            none (default), osm, os-road, os-light, an XYZ template,
                                or a .mbtiles/.pmtiles file (see :mod:`webapp.tiles`)
``HOTSPOTS_BASEMAP_ATTRIBUTION``  the basemap's attribution (required for a template)
``HOTSPOTS_OS_API_KEY``         the OS Maps API key for os-road / os-light
``HOTSPOTS_ROADS``              a street layer file (default: the demo's streets on the demo)
``HOTSPOTS_TILES_URL``          older name of a basemap tile URL template
``HOTSPOTS_TILES_ATTRIBUTION``  its attribution
``HOTSPOTS_USERS_DB``           SQLite users file (``<instance>/users.sqlite``)
``HOTSPOTS_REQUIRE_LOGIN``      True; False only for a loopback demo
``HOTSPOTS_MAX_POINTS``         cap on incident markers on a map (2000)
``HOTSPOTS_RELOAD_CHECK_S``     how often input files are checked for changes (10)
``HOTSPOTS_CACHE_ENTRIES``      results kept in the cache (512)
``HOTSPOTS_COMPUTE``            where heavy answers are computed: ``workers`` (default: worker
                                processes; every period's default result made at load) or
                                ``inline`` (the request's thread; for tests)
``HOTSPOTS_COMPUTE_WORKERS``    worker processes / uncached answers computed at once
                                (None: CPUs, at most 4)
``HOTSPOTS_RESULT_WAIT_S``      seconds a page waits for a worker before it says
                                "computing…" (0.3)
``HOTSPOTS_WARM``               with workers, make every period's map when the data is
                                loaded (True; False: when first asked for)
``HOTSPOTS_MAX_WAITING``        uncached answers that may queue for a worker (None: no cap)
``HOTSPOTS_SECURE_COOKIES``     session cookie only over HTTPS (serve: on off loopback)
``HOTSPOTS_LOGIN_MAX_FAILURES`` failed logins per account/address before 429 (5)
``HOTSPOTS_LOGIN_WINDOW_S``     ... within this many seconds (60)
``HOTSPOTS_PROXY_COUNT``        reverse proxies in front whose ``X-Forwarded-For``
                                and ``X-Forwarded-Proto`` are trusted (0: none)
``SECRET_KEY``                  session signing key (random per process if unset)
==============================  =============================================
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from hotspots._errors import ConfigError
from hotspots.precompute import shared_workers
from webapp.data import DataStore
from webapp.dataset import MapOptions, spec_from_config
from webapp.tasks import WORKER_MODULES

DEFAULTS: dict[str, Any] = {
    "HOTSPOTS_INPUTS": [],
    "HOTSPOTS_WARDS": None,
    "HOTSPOTS_AREAS": None,
    "HOTSPOTS_POPULATION": None,
    "HOTSPOTS_POSTCODES": None,
    "HOTSPOTS_CRIME_TYPES": None,
    "HOTSPOTS_COLUMNS": None,
    "HOTSPOTS_DATE_FORMAT": None,
    "HOTSPOTS_STORE": None,
    "HOTSPOTS_EPS_M": 100.0,
    "HOTSPOTS_MIN_SAMPLES": None,
    "HOTSPOTS_PARAMS": None,
    "HOTSPOTS_BASEMAP": None,
    "HOTSPOTS_BASEMAP_ATTRIBUTION": None,
    "HOTSPOTS_OS_API_KEY": None,
    "HOTSPOTS_ROADS": None,
    "HOTSPOTS_TILES_URL": None,
    "HOTSPOTS_TILES_ATTRIBUTION": None,
    "HOTSPOTS_USERS_DB": None,
    "HOTSPOTS_REQUIRE_LOGIN": True,
    "HOTSPOTS_MAX_POINTS": 2000,
    "HOTSPOTS_RELOAD_CHECK_S": 10.0,
    "HOTSPOTS_CACHE_ENTRIES": 512,
    "HOTSPOTS_COMPUTE": "workers",
    "HOTSPOTS_COMPUTE_WORKERS": None,
    "HOTSPOTS_RESULT_WAIT_S": 0.3,
    "HOTSPOTS_WARM": True,
    "HOTSPOTS_MAX_WAITING": None,
    "HOTSPOTS_SECURE_COOKIES": False,
    "HOTSPOTS_LOGIN_MAX_FAILURES": 5,
    "HOTSPOTS_LOGIN_WINDOW_S": 60.0,
    "HOTSPOTS_PROXY_COUNT": 0,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 64 * 1024,
}

csrf = CSRFProtect()


def config_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """``HOTSPOTS_*`` and ``SECRET_KEY`` settings from environment variables.

    ``HOTSPOTS_INPUTS`` is a list separated by the path separator (``:``);
    numbers and ``true``/``false`` are parsed.

    Examples
    --------
    >>> config_from_env({"HOTSPOTS_EPS_M": "80", "HOTSPOTS_REQUIRE_LOGIN": "false",
    ...                  "HOTSPOTS_INPUTS": "a.csv:b.csv", "HOME": "/root"})
    {'HOTSPOTS_INPUTS': ['a.csv', 'b.csv'], 'HOTSPOTS_EPS_M': 80, 'HOTSPOTS_REQUIRE_LOGIN': False}
    """
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key in (*DEFAULTS, "SECRET_KEY"):
        if key not in environ or not key.startswith(("HOTSPOTS_", "SECRET_KEY")):
            continue
        raw = environ[key]
        if key == "HOTSPOTS_INPUTS":
            out[key] = [p for p in raw.split(os.pathsep) if p]
        elif raw.lower() in ("true", "false"):
            out[key] = raw.lower() == "true"
        else:
            try:
                out[key] = json.loads(raw) if key != "SECRET_KEY" else raw
            except ValueError:
                out[key] = raw
    return out


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the web app.

    Parameters
    ----------
    config : dict, optional
        Settings (see the module notes). When None, ``HOTSPOTS_*`` environment
        variables are read instead (for ``flask --app webapp run``).

    Returns
    -------
    flask.Flask

    Examples
    --------
    >>> app = create_app({"TESTING": True, "HOTSPOTS_REQUIRE_LOGIN": False})
    >>> app.test_client().get("/healthz").get_json()
    {'status': 'ok'}
    """
    app = Flask(__name__, instance_relative_config=True)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.from_mapping(DEFAULTS)
    given = config_from_env() if config is None else config
    app.config.from_mapping(given)
    if app.config.get("HOTSPOTS_PARAMS"):  # tuned parameters; keys given explicitly win
        from hotspots.analysis.tune import read_params

        tuned = read_params(app.config["HOTSPOTS_PARAMS"])
        for key, value in (
            ("HOTSPOTS_EPS_M", tuned.eps_m),
            ("HOTSPOTS_MIN_SAMPLES", tuned.min_samples),
        ):
            if key not in given:
                app.config[key] = value
    proxies = int(app.config.get("HOTSPOTS_PROXY_COUNT") or 0)
    if proxies > 0:  # the client's address and scheme as the proxies saw them
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.config["HOTSPOTS_USERS_DB"]:
        app.config["HOTSPOTS_USERS_DB"] = str(Path(app.instance_path) / "users.sqlite")

    from webapp import tiles

    spec = spec_from_config(app.config)
    app.config["HOTSPOTS_DEMO"] = spec.is_demo
    basemap = tiles.init_app(app)
    compute = str(app.config["HOTSPOTS_COMPUTE"] or "workers").strip().lower()
    if compute not in ("workers", "inline"):
        raise ConfigError(f"HOTSPOTS_COMPUTE must be 'workers' or 'inline', not {compute!r}")
    processes = app.config["HOTSPOTS_COMPUTE_WORKERS"] or min(4, os.cpu_count() or 1)
    workers = None
    if compute == "workers":
        workers = shared_workers(int(processes), preload=WORKER_MODULES)
    app.extensions["hotspots_store"] = DataStore(
        spec,
        max_entries=int(app.config["HOTSPOTS_CACHE_ENTRIES"]),
        check_every_s=float(app.config["HOTSPOTS_RELOAD_CHECK_S"]),
        eps_m=float(app.config["HOTSPOTS_EPS_M"]),
        min_samples=app.config["HOTSPOTS_MIN_SAMPLES"],
        map_options=MapOptions(
            basemap=basemap,
            roads=tiles.roads_from_config(app.config, demo=spec.is_demo),
            streets_off=str(app.config.get("HOTSPOTS_ROADS") or "").strip().lower() == "none",
            max_points=int(app.config["HOTSPOTS_MAX_POINTS"]),
        ),
        compute_workers=app.config["HOTSPOTS_COMPUTE_WORKERS"],
        max_waiting=app.config["HOTSPOTS_MAX_WAITING"],
        workers=workers,
        wait_s=float(app.config["HOTSPOTS_RESULT_WAIT_S"] or 0),
        warm=bool(app.config["HOTSPOTS_WARM"]),
    )

    from webapp import about, api, auth, errors, report, security, tasking, vendor, views

    csrf.init_app(app)
    auth.login_manager.init_app(app)

    auth.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tasking.bp)
    app.register_blueprint(about.bp)
    app.register_blueprint(report.bp)
    return app
