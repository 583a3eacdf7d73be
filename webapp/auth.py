"""Logging in and out, and the rule that every page needs a logged-in user.

Every route needs a login except ``/login``, ``/healthz`` and the static files,
unless ``HOTSPOTS_REQUIRE_LOGIN`` is False (a demo on loopback). A page request
without a login is redirected to ``/login?next=...``; an ``/api/`` request gets
401 JSON.
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
from flask_login import UserMixin, current_user, login_user, logout_user

from webapp import login_manager
from webapp.users import User, authenticate, get_user

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

#: Endpoints open without a login.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "api.healthz", "static", "vendor.asset"})


class LoginUser(UserMixin):
    """A :class:`~webapp.users.User` for flask-login."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        """The user's name."""
        return self.user.name

    @property
    def name(self) -> str:
        """The user's name."""
        return self.user.name

    @property
    def role(self) -> str:
        """viewer or analyst."""
        return self.user.role


@login_manager.user_loader
def _load_user(name: str) -> LoginUser | None:
    user = get_user(current_app.config["HOTSPOTS_USERS_DB"], name)
    return LoginUser(user) if user else None


def may_tune() -> bool:
    """True when the current user may change clustering settings (analysts; no-login demo)."""
    if not current_app.config["HOTSPOTS_REQUIRE_LOGIN"]:
        return True
    return bool(current_user.is_authenticated and current_user.role == "analyst")


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
    user = authenticate(current_app.config["HOTSPOTS_USERS_DB"], name, password)
    if user is None:
        log.warning("failed login for user %r from %s", name[:64], request.remote_addr)
        message = "Wrong user name or password."
        return render_template("login.html", next=target, message=message, username=name), 401
    session.clear()
    login_user(LoginUser(user))
    log.info("user %r logged in", user.name)
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a CSRF-protected form) and go to the login page."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
