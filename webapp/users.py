"""Users of the web app: a small SQLite table of names, password hashes and roles.

Passwords are hashed with :mod:`werkzeug.security` (scrypt by default) and
never stored or logged in clear. Roles:

* ``viewer``: sees every page and downloads tables.
* ``analyst``: also tunes the clustering from the page (``eps`` and
  ``min_samples`` query parameters), and sees full place text (addresses).

Each user has a *session generation*: a number that is part of every session
the user logs in with. Logging out and changing the password add one to it,
which ends every existing session of that user (an old cookie names the old
generation and is refused).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from hotspots._errors import HotspotsError

ROLES = ("viewer", "analyst")
MIN_PASSWORD = 8
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst')),
    created TEXT NOT NULL DEFAULT (datetime('now')),
    session_gen INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(frozen=True)
class User:
    """A user as the app sees it (no password hash)."""

    name: str
    role: str
    session_gen: int = 0

    @property
    def is_analyst(self) -> bool:
        """True for analysts."""
        return self.role == "analyst"


def _connect(db_path: str | Path) -> sqlite3.Connection:
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10)
    conn.execute(_SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
    if "session_gen" not in columns:  # a users file from before session generations
        with conn:
            conn.execute("ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0")
    return conn


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid user name, else raise HotspotsError."""
    if not _NAME_RE.match(name or ""):
        raise HotspotsError(
            f"user name must be 1-64 letters, digits or . _ @ - (starting with a letter or "
            f"digit); got {name!r}"
        )
    return name


def add_user(db_path: str | Path, name: str, password: str, role: str = "viewer") -> User:
    """Add a user, or replace the password and role of an existing one.

    Replacing the password of an existing user ends all of that user's sessions.

    Parameters
    ----------
    db_path : str or Path
        The SQLite file (created if missing).
    name : str
        The login name.
    password : str
        At least 8 characters; stored only as a werkzeug hash.
    role : {"viewer", "analyst"}

    Returns
    -------
    User
    """
    check_name(name)
    if role not in ROLES:
        raise HotspotsError(f"role must be one of {ROLES!r}; got {role!r}")
    if len(password or "") < MIN_PASSWORD:
        raise HotspotsError(f"password must be at least {MIN_PASSWORD} characters")
    with closing(_connect(db_path)) as conn, conn:
        conn.execute(
            "INSERT INTO users (name, password_hash, role) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, "
            "role = excluded.role, session_gen = session_gen + 1",
            (name, generate_password_hash(password), role),
        )
        gen = conn.execute("SELECT session_gen FROM users WHERE name = ?", (name,)).fetchone()[0]
    return User(name, role, gen)


def end_sessions(db_path: str | Path, name: str) -> int:
    """End every session of user ``name`` (logout, password change); return the new generation."""
    with closing(_connect(db_path)) as conn, conn:
        conn.execute("UPDATE users SET session_gen = session_gen + 1 WHERE name = ?", (name,))
        row = conn.execute("SELECT session_gen FROM users WHERE name = ?", (name,)).fetchone()
    return row[0] if row else 0


def remove_user(db_path: str | Path, name: str) -> bool:
    """Remove a user; return True if there was one."""
    with closing(_connect(db_path)) as conn, conn:
        return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0


def get_user(db_path: str | Path, name: str) -> User | None:
    """Return the user called ``name``, or None."""
    if not Path(db_path).exists():
        return None
    with closing(_connect(db_path)) as conn:
        row = conn.execute(
            "SELECT name, role, session_gen FROM users WHERE name = ?", (name,)
        ).fetchone()
    return User(*row) if row else None


def list_users(db_path: str | Path) -> list[User]:
    """All users, by name."""
    if not Path(db_path).exists():
        return []
    with closing(_connect(db_path)) as conn:
        rows = conn.execute("SELECT name, role, session_gen FROM users ORDER BY name").fetchall()
    return [User(*row) for row in rows]


@functools.cache
def _dummy_hash() -> str:
    """A hash to check when the user does not exist: a wrong name takes as long as a wrong password.

    Made at the first login, not at start-up (scrypt takes a while).
    """
    return generate_password_hash("not a password of anyone's")


def authenticate(db_path: str | Path, name: str, password: str) -> User | None:
    """Return the user if ``password`` is theirs, else None."""
    row = None
    if Path(db_path).exists() and name:
        with closing(_connect(db_path)) as conn:
            row = conn.execute(
                "SELECT name, role, password_hash, session_gen FROM users WHERE name = ?", (name,)
            ).fetchone()
    if row is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return User(row[0], row[1], row[3]) if check_password_hash(row[2], password or "") else None
