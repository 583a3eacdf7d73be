"""The tasking page of the web app (issue 4): registered by webapp.create_app."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tasking", __name__)
