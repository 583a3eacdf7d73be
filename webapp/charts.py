"""Charts drawn on the server as inline SVG (matplotlib; no JavaScript, nothing fetched)."""

from __future__ import annotations

import io
import re

import pandas as pd

from hotspots.io import ATTRIBUTION


def profile_svg(profile: pd.DataFrame, *, title: str) -> str:
    """Draw incidents by month (rows Apr..Mar), one line per financial year, as SVG text.

    Parameters
    ----------
    profile : pandas.DataFrame
        From :func:`hotspots.analysis.seasons.monthly_profile` (index months, columns years;
        NaN for a month the data do not cover: a gap in the line, and a grey hatched
        band labelled "no data" where no year has data, never a fall to 0).
    title : str
        The chart's title.

    Returns
    -------
    str
        An ``<svg>`` element (no XML prolog), ready to place in a page.

    Examples
    --------
    >>> p = pd.DataFrame({"2017-18": [1, 5, 2], "2018-19": [2, 6, 1]}, index=["Apr", "May", "Jun"])
    >>> svg = profile_svg(p, title="Demo")
    >>> svg.startswith("<svg"), "2018-19" in svg
    (True, True)
    """
    import matplotlib  # heavy: imported at the first chart, not at start-up
    from matplotlib.figure import Figure

    from hotspots.draw.charts import plot_monthly_profile

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "hotspots"}):
        fig = Figure(figsize=(9, 4.2), dpi=100)
        ax = fig.add_subplot()
        handles = plot_monthly_profile(ax, profile)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if len(profile.columns):
            ax.legend(handles=handles, title="Financial year", facecolor="white",
                      edgecolor="#cccccc", framealpha=1)  # fmt: skip
        fig.text(0.01, 0.01, ATTRIBUTION, fontsize=6.5, color="#555555")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        out = io.StringIO()
        fig.savefig(out, format="svg")
    text = out.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    return text[text.index("<svg") :]
