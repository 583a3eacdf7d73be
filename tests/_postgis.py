"""A throw-away PostgreSQL + PostGIS server on loopback for the store tests.

``make test`` (and so ``.ci/run``) installs Debian's ``postgresql`` and
``postgresql-NN-postgis-3``; the ``postgis_server`` fixture then starts a
private cluster in a temporary folder, as the ``postgres`` user when the tests
run as root (PostgreSQL refuses to run as root), listening on 127.0.0.1 only,
and removes it afterwards. ``HOTSPOTS_TEST_DATABASE_URL`` points the tests at
an existing server instead.

If the server cannot be started the PostGIS tests FAIL, in CI and whenever the
tests run as root (who can install it with ``make postgis``); only an
unprivileged developer without the packages gets a skip, with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = "hotspots_postgis_template"


class PostGISUnavailable(RuntimeError):
    """The test server could not be started (the message says why)."""


@dataclass
class Server:
    """A running server: its base URL (no database) and how to stop it."""

    base_url: str
    data_dir: Path | None = None
    bindir: Path | None = None
    as_user: list[str] | None = None

    def url(self, database: str) -> str:
        return f"{self.base_url}/{database}"

    def new_database(self) -> str:
        """A fresh database with PostGIS (copied from a template); its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop(self) -> None:
        if self.data_dir is None:
            return
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m",
             "immediate", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise PostGISUnavailable(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run 'make postgis' "
            "as root (apt-get install postgresql postgresql-15-postgis-3)"
        )
    bindir = found[-1].parent
    version = bindir.parent.name
    if not list(Path(f"/usr/share/postgresql/{version}/extension").glob("postgis.control")):
        raise PostGISUnavailable(
            f"PostGIS for PostgreSQL {version} is not installed: run 'make postgis' as root "
            f"(apt-get install postgresql-{version}-postgis-3)"
        )
    return bindir


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_template(base_url: str) -> None:
    import psycopg

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE,)).fetchone()
        if exists:
            return
        con.execute(f"CREATE DATABASE {TEMPLATE}")
    with psycopg.connect(f"{base_url}/{TEMPLATE}", autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def start() -> Server:
    """Start a private server (or use ``HOTSPOTS_TEST_DATABASE_URL``)."""
    given = os.environ.get("HOTSPOTS_TEST_DATABASE_URL")
    if given:
        base = given.rsplit("/", 1)[0]
        _ensure_template(base)
        return Server(base)
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="hotspots-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
    port = _free_port()
    steps = [
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-sync"],
        [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
         "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off", "start"],
    ]  # fmt: skip
    for cmd in steps:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, check=False)
        if done.returncode:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise PostGISUnavailable(
                f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr.strip()} {log[-500:]}"
            )
    server = Server(f"postgresql://postgres@127.0.0.1:{port}", data, bindir, as_user)
    try:
        _ensure_template(server.base_url)
    except Exception as exc:
        server.stop()
        raise PostGISUnavailable(f"PostGIS cannot be enabled: {exc}") from exc
    return server
