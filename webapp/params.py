"""Reusable view helpers: the validated selection and the cached results, for any blueprint.

A view does::

    from webapp.params import selection, store

    sel = selection()                 # 400 page naming a bad parameter and its allowed values
    found = store().clusters(sel)     # computed once per (dataset version, selection)
    return render_template("clusters.html", sel=sel, clusters=found, choices=store().choices())

and renders ``base.html``-derived templates (nav, login state, demo banner and
the licence footer come with it; the ``_selection.html`` macro draws the
selector form). The query parameters (``fy``, ``season``, ``area``, ``ward``,
and for analysts ``eps``/``min_samples``) are described in
:mod:`webapp.selection`.
"""

from __future__ import annotations

from flask import current_app, request

from webapp.selection import (
    ALL_YEARS,
    BOROUGH,
    SEASON_CHOICES,
    WARD_PREFIX,
    Choices,
    ParamError,
    ParamForbidden,
    Selection,
    parse_selection,
)

__all__ = [
    "ALL_YEARS",
    "BOROUGH",
    "SEASON_CHOICES",
    "WARD_PREFIX",
    "Choices",
    "ParamError",
    "ParamForbidden",
    "Selection",
    "parse_selection",
    "selection",
    "store",
]


def store():
    """The app's :class:`webapp.data.DataStore` (loaded data, cached answers)."""
    return current_app.extensions["hotspots_store"]


def selection() -> Selection:
    """The current request's selection, checked against the data's values.

    Raises
    ------
    ParamError
        A value not allowed (the app answers 400 naming the parameter and the allowed values).
    ParamForbidden
        ``eps``/``min_samples`` from a user who is not an analyst (403).
    """
    from webapp.auth import may_tune

    return parse_selection(request.args, store().choices(), tuning_allowed=may_tune())
