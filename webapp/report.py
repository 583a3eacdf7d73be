"""The panel deck for analysts: ``/report.pptx?fy=2018-19`` (registered by webapp.create_app).

The deck is :func:`hotspots.outputs.deck.build_deck` for the selected financial year
(compared with the year before when the data has it), built once per dataset
version and year and kept in the app's cache. Only analysts may download it (a
viewer gets 403; the no-login demo on loopback may). A ward file with a district
column (``LADyyNM`` or ``district``) gives the district slide.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from webapp.params import ParamError, selection, store

bp = Blueprint("report", __name__)

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#: Chart and map resolution of the web deck (the CLI's default is 300).
WEB_DPI = 200


def _districts(spec):
    """Ward -> district when the ward file names several districts, and the area's name."""
    from hotspots.read.districts import read_district_wards

    table = read_district_wards([spec.resolved().wards])
    if table["district"].nunique() > 1:
        return table.set_index("ward_name")["district"], None
    return None, str(table["district"].iloc[0])


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

    def compute(data) -> bytes:
        from hotspots.analysis.cluster import ClusterParams
        from hotspots.analysis.notes import is_demo
        from hotspots.outputs._slides import pptx_bytes
        from hotspots.outputs.deck import build_deck
        from hotspots.read.qualifiers import read_qualifiers
        from hotspots.results import add_patterns
        from webapp.selection import Selection

        # The year's cached answer (as on the map of fy=YEAR, all seasons), with its chance
        # test and the map layer's place patterns: the deck draws it, nothing is re-clustered.
        year = Selection(sel.fy, "all")
        result = add_patterns(data_store.result(year, tested=True), data_store.patterns(year))
        demo = is_demo(data.prepared)
        districts, area_name = _districts(data_store.spec)
        deck = build_deck(
            data.prepared,
            financial_year=sel.financial_year,
            districts=districts,
            qualifiers=read_qualifiers(data.prepared.load.files),
            title="the demo borough" if demo else area_name,
            params=ClusterParams(eps_m=data_store.eps_m, min_samples=data_store.min_samples),
            demo=demo,
            dpi=WEB_DPI,
            streets=data_store.streets(data),
            result=result,
        )
        return pptx_bytes(deck)

    body = data_store.cached(f"report:{sel.financial_year}", None, compute)
    name = f"asb-panel-{sel.financial_year}.pptx"
    return Response(body, mimetype=PPTX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
