"""The panel deck for analysts: ``/report.pptx?fy=2018-19`` (registered by webapp.create_app).

The deck is :func:`hotspots.outputs.deck.build_deck` for the selected financial year
(compared with the year before when the data has it), built once per dataset
version and year and kept in the app's cache. Only analysts may download it (a
viewer gets 403; the no-login demo on loopback may). A ward file with a district
column (``LADyyNM`` or ``district``) gives the district slide.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from hotspots.analysis.cluster import ClusterParams
from hotspots.results import add_patterns
from webapp import tasks
from webapp.params import ParamError, selection, store
from webapp.selection import Selection

bp = Blueprint("report", __name__)

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#: Chart and map resolution of the web deck (the CLI's default is 300).
WEB_DPI = 200


@bp.route("/report.pptx")
def report_pptx():
    """The panel deck (PowerPoint) of the selected financial year; analysts only."""
    from webapp.auth import may_tune

    if not may_tune():
        abort(403, description="The panel deck is for analysts.")
    sel = selection()
    if sel.financial_year is None:
        raise ParamError("fy", sel.fy, [f for f in store().choices().fy_values if f != sel.fy])
    data_store = store()
    # The year's answer (as on the map of fy=YEAR, all seasons), with its chance test and the
    # map layer's place patterns: the deck draws it, nothing is re-clustered. Drawn in a worker
    # (seconds of CPU): "computing…" until then.
    year = Selection(sel.fy, "all")
    params = ClusterParams(eps_m=data_store.eps_m, min_samples=data_store.min_samples)
    if data_store.workers is not None:  # the worker's streets, from the map options
        answer, streets, options = data_store.answer_raw(year), None, data_store.map_options
    else:
        answer = add_patterns(data_store.result(year, tested=True), data_store.patterns(year))
        streets, options = data_store.streets(), None
    body = data_store.worked(f"report:{sel.financial_year}", year, tasks.deck, answer,
                             financial_year=sel.financial_year, params=params, dpi=WEB_DPI,
                             streets=streets, options=options, called="the panel deck")  # fmt: skip
    name = f"asb-panel-{sel.financial_year}.pptx"
    return Response(body, mimetype=PPTX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
