"""Error pages: a plain page (JSON under ``/api/``) for every error, never a traceback.

* a query parameter with a value that is not allowed: 400, naming the
  parameter and the allowed values;
* no incidents loaded yet (:class:`~webapp.selection.NoData`): 404, a page saying
  there is no data yet (not a parameter error);
* an analyst-only parameter: 403;
* a user error from the library (:class:`~hotspots._errors.HotspotsError`,
  e.g. clustering settings that cannot work): 400 with its message;
* data that cannot be loaded: 503 and one log line with the reason; the page
  shows the reason to analysts (and on the no-login demo), a plain note to viewers;
* too many selections waiting to be computed: 503 with ``Retry-After``;
* an answer being computed in a worker process (:class:`~webapp.dataset.NotReady`):
  202 and a "computing…" page that refreshes itself every :data:`REFRESH_S`
  seconds (no script: it works offline and in the map's frame), or 202 JSON
  ``{"status": "computing", ...}`` with ``Retry-After`` under ``/api/``;
* a worker that failed or stopped (:class:`~webapp.dataset.ComputeFailed`): 500
  saying so (reload to try again), never a hang;
* unknown routes: 404; anything unexpected: 500 and ONE log line (the route,
  where it failed, the exception; the traceback at DEBUG level).

Every message logged or shown passes :func:`shown_error`: on one line, with the
store's password masked (:func:`hotspots._secrets.redact_text`).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from flask import Flask, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from hotspots._errors import HotspotsError
from hotspots._secrets import redact_text
from webapp.dataset import ComputeFailed, DataLoadError, NotReady, StoreBusy
from webapp.selection import NoData, ParamError, ParamForbidden

log = logging.getLogger(__name__)

#: Seconds between the "computing…" page's refreshes.
REFRESH_S = 2


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def shown_error(exc: BaseException) -> str:
    """``exc``'s message on one line, with the configured store's password masked."""
    text = " ".join(str(exc).split())[:2000]
    return redact_text(text, current_app.config.get("HOTSPOTS_STORE"))


def error_response(status: int, title: str, message: str, **extra):
    """A JSON body under /api/, else the error page."""
    if _wants_json():
        response = jsonify({"error": message, "status": status, **extra})
    else:
        response = make_response(render_template("error.html", status=status, title=title,
                                                 message=message, **extra))  # fmt: skip
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""

    @app.errorhandler(ParamError)
    def _param(exc: ParamError):
        return error_response(400, "Bad request", str(exc), parameter=exc.name,
                              allowed=exc.allowed)  # fmt: skip

    @app.errorhandler(NoData)
    def _no_data(exc: NoData):
        return error_response(404, "No data yet", str(exc))

    @app.errorhandler(ParamForbidden)
    def _forbidden(exc: ParamForbidden):
        return error_response(403, "Not allowed", str(exc), parameter=exc.name)

    @app.errorhandler(DataLoadError)
    def _data(exc: DataLoadError):
        from webapp.auth import may_see_addresses

        reason = shown_error(exc)
        log.error("data cannot be loaded: %s", reason)
        if may_see_addresses() or not app.config["HOTSPOTS_REQUIRE_LOGIN"]:
            message = f"The data cannot be loaded: {reason}"
        else:
            message = ("The data cannot be loaded just now. The server's log says why; "
                       "an analyst sees the reason here.")  # fmt: skip
        response = error_response(503, "Data not available", message)
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(StoreBusy)
    def _busy(exc: StoreBusy):
        log.warning("busy: %s (%s)", exc, request.path)
        response = error_response(503, "Busy", "The server is busy computing other selections. "
                                  "Try again in a few seconds.")  # fmt: skip
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(NotReady)
    def _computing(exc: NotReady):
        import time

        waited = max(0, round(time.monotonic() - exc.since))
        message = (f"Computing {exc.answer} of {exc.what} (for {waited} s so far). "
                   "This page refreshes itself until it is done.")  # fmt: skip
        if _wants_json():
            response = jsonify({"status": "computing", "message": message,
                                "retry_after": REFRESH_S})  # fmt: skip
        else:
            page = "computing_frame.html" if request.path == "/map/frame" else "computing.html"
            response = make_response(render_template(page, message=message, refresh_s=REFRESH_S,
                                                     url=request.full_path.rstrip("?")))  # fmt: skip
        response.status_code = 202
        response.headers["Retry-After"] = str(REFRESH_S)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(ComputeFailed)
    def _failed(exc: ComputeFailed):
        log.error("computing failed on %s: %s", request.path[:200], shown_error(exc))
        return error_response(500, "Could not compute",
                              f"This selection could not be computed: {shown_error(exc)}. "
                              "Reload the page to try again.")  # fmt: skip

    @app.errorhandler(HotspotsError)
    def _user(exc: HotspotsError):
        return error_response(400, "Bad request", shown_error(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return _unexpected(exc)
        message = exc.description or exc.name
        if exc.code == 404:
            message = f"There is no page at {request.path}."
        response = error_response(exc.code or 500, exc.name, message)
        for name in ("Allow", "WWW-Authenticate"):
            value = dict(exc.get_headers()).get(name)
            if value:
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        original = getattr(exc, "original_exception", None) or exc
        frames = traceback.extract_tb(original.__traceback__)
        where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        log.error("unexpected error on %s%s: %s: %s", request.path[:200], where,
                  type(original).__name__, shown_error(original))  # fmt: skip
        log.debug("the traceback of that error", exc_info=original)
        return error_response(500, "Server error",
                              "Something went wrong on the server; it has been logged.")  # fmt: skip
