"""Charts drawn on the server as inline SVG (matplotlib; no JavaScript, nothing fetched)."""

from __future__ import annotations

import io
import re

import pandas as pd

from hotspots.io import ATTRIBUTION


def profile_svg(profile: pd.DataFrame, *, title: str, narrow: bool = False) -> str:
    """Draw incidents by month (rows Apr..Mar), one line per financial year, as SVG text.

    Parameters
    ----------
    profile : pandas.DataFrame
        From :func:`hotspots.analysis.seasons.monthly_profile` (index months, columns years;
        NaN for a month the data do not cover: a gap in the line, and a grey hatched
        band labelled "no data" where no year has data, never a fall to 0).
    title : str
        The chart's title.
    narrow : bool, default False
        Drawn for a phone (about 4.4 inches wide, the legend under the chart, the
        attribution wrapped), so that its text reads at the phone's width; else
        9 inches wide for a desktop page.

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
    import textwrap

    import matplotlib  # heavy: imported at the first chart, not at start-up
    from matplotlib.figure import Figure

    from hotspots.draw.charts import plot_monthly_profile

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "hotspots"}):
        fig = Figure(figsize=(4.4, 4.9) if narrow else (9, 4.2), dpi=100)
        ax = fig.add_subplot()
        handles = plot_monthly_profile(ax, profile)
        ax.set_title(textwrap.fill(title, 40) if narrow else title)
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if narrow:
            ax.tick_params(axis="x", labelsize=8.5)
        if len(profile.columns):
            where = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.08), "ncol": 2,
                     "fontsize": 9, "title_fontsize": 9} if narrow else {}  # fmt: skip
            ax.legend(handles=handles, title="Financial year", facecolor="white",
                      edgecolor="#cccccc", framealpha=1, **where)  # fmt: skip
        credit = textwrap.fill(ATTRIBUTION, 75) if narrow else ATTRIBUTION
        fig.text(0.01, 0.01, credit, fontsize=6.5, color="#555555")
        fig.tight_layout(rect=(0, 0.07 if narrow else 0.04, 1, 1))
        out = io.StringIO()
        fig.savefig(out, format="svg", bbox_inches="tight" if narrow else None)
    text = out.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    if narrow:  # ids of its own beside the desktop's chart (its hatching pointed at the hidden one)
        text = re.sub(r'(id="|url\(#|href="#)', r"\1narrow-", text)
    return text[text.index("<svg") :]


def profile_charts(profile: pd.DataFrame, *, title: str) -> str:
    """The monthly profile's chart for a desktop and for a phone, for one page (CSS shows one).

    Examples
    --------
    >>> p = pd.DataFrame({"2018-19": [2, 6, 1]}, index=["Apr", "May", "Jun"])
    >>> html = profile_charts(p, title="Demo")
    >>> html.count("<svg"), 'class="chart-wide"' in html, 'class="chart-narrow"' in html
    (2, True, True)
    >>> ids = re.findall(r'id="([^"]+)"', html)
    >>> len(ids) == len(set(ids))  # each chart's own
    True
    """
    wide, narrow = (profile_svg(profile, title=title, narrow=n) for n in (False, True))
    return f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'
