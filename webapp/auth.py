"""Logging in and out, and the rule that every page needs a logged-in user.

Every route needs a login except ``/login``, ``/healthz`` and the static files,
unless ``HOTSPOTS_REQUIRE_LOGIN`` is False (a demo on loopback). A page request
without a login is redirected to ``/login?next=...``; an ``/api/`` request gets
401 JSON.

Sessions: the session names the user and the user's *session generation*
(:mod:`webapp.users`); logging out or a password change moves the generation
on, so every earlier session cookie of that user is refused. Failed logins are
limited per account *at* a client address, and per client address
(:class:`webapp.security.LoginLimiter`): beyond the limit the login answers 429
with ``Retry-After``, and it is logged. A stranger's failures therefore lock
out the stranger's address, never the account: its user logs in from anywhere
else. Behind a reverse proxy the client address is the proxy's unless
``HOTSPOTS_PROXY_COUNT`` (``hotspots serve --proxy-count N``) says how many
proxies' ``X-Forwarded-For`` / ``X-Forwarded-Proto`` to trust.

Place text: :func:`shown_places` gives viewers street-level place text only
(:func:`hotspots.privacy.redact_places`); analysts see it in full.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from hotspots.privacy import redact_places
from webapp.security import login_limiter
from webapp.users import User, authenticate, end_sessions, get_user

#: Flask-Login's manager: who is logged in (``init_app`` in :func:`webapp.create_app`).
login_manager = LoginManager()

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

#: Endpoints open without a login.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "api.healthz", "static", "vendor.asset"})


class LoginUser(UserMixin):
    """A :class:`~webapp.users.User` for flask-login."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        """The user's name and session generation, ``name:generation``."""
        return f"{self.user.name}:{self.user.session_gen}"

    @property
    def name(self) -> str:
        """The user's name."""
        return self.user.name

    @property
    def role(self) -> str:
        """viewer or analyst."""
        return self.user.role


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    name, _, gen = user_id.rpartition(":")
    if not name or not gen.isdigit():
        return None  # a cookie from before session generations, or forged: log in again
    user = get_user(current_app.config["HOTSPOTS_USERS_DB"], name)
    if user is None or user.session_gen != int(gen):
        return None
    return LoginUser(user)


def may_tune() -> bool:
    """True when the current user may change clustering settings (analysts; no-login demo)."""
    if not current_app.config["HOTSPOTS_REQUIRE_LOGIN"]:
        return True
    return bool(current_user.is_authenticated and current_user.role == "analyst")


def may_see_addresses() -> bool:
    """True for a logged-in analyst: full place text. Everyone else sees streets only."""
    if not current_app.config["HOTSPOTS_REQUIRE_LOGIN"]:
        return False
    return bool(current_user.is_authenticated and current_user.role == "analyst")


def shown_places(table):
    """``table`` as the current user may see it: place text at street level unless an analyst.

    See :func:`hotspots.privacy.redact_places` (columns ``location``, ``place``,
    ``top_locations``, ``locations``).
    """
    return table if may_see_addresses() else redact_places(table)


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the map page.

    Examples
    --------
    >>> from webapp import create_app
    >>> with create_app({"TESTING": True}).test_request_context():
    ...     safe_next("/wards?fy=2018-19"), safe_next("//evil.example/x"), safe_next("https://x")
    ('/wards?fy=2018-19', '/map', '/map')
    """
    if target:
        parts = urlsplit(target)
        if (target.startswith("/") and not target.startswith("//") and "\\" not in target
                and not parts.scheme and not parts.netloc):  # fmt: skip
            return target
    return url_for("views.map_page")


def _require_login():
    if not current_app.config["HOTSPOTS_REQUIRE_LOGIN"]:
        return None
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None  # unknown routes fall through to the 404 page
    if request.path.startswith("/api/"):
        return jsonify({"error": "login required: log in at /login first"}), 401
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def init_app(app: Flask) -> None:
    """Install the login rule on ``app``."""
    app.before_request(_require_login)
    login_manager.session_protection = "strong"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success, go to ``next`` or the map."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return render_template("login.html", next=target, message=None)
    name = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    limiter = login_limiter(current_app)
    # the account AT this address, and the address: failures elsewhere never lock a user out
    keys = [f"user:{name[:64].lower()}@{request.remote_addr}", f"addr:{request.remote_addr}"]
    wait = limiter.retry_after(keys)
    if wait:
        log.warning("login refused (too many failures) for user %r from %s; retry in %d s",
                    name[:64], request.remote_addr, wait)  # fmt: skip
        message = f"Too many failed logins. Try again in {wait} seconds."
        page = render_template("login.html", next=target, message=message, username=name)
        return page, 429, {"Retry-After": str(wait)}
    user = authenticate(current_app.config["HOTSPOTS_USERS_DB"], name, password)
    if user is None:
        limiter.failed(*keys)
        log.warning("failed login for user %r from %s", name[:64], request.remote_addr)
        message = "Wrong user name or password."
        return render_template("login.html", next=target, message=message, username=name), 401
    limiter.succeeded(keys[0])
    session.clear()
    login_user(LoginUser(user))
    log.info("user %r logged in", user.name)
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a CSRF-protected form): end every session of the user; go to the login page."""
    if current_user.is_authenticated:
        end_sessions(current_app.config["HOTSPOTS_USERS_DB"], current_user.name)
        log.info("user %r logged out (all sessions ended)", current_user.name)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
