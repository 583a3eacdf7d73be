"""Charts drawn with matplotlib: the backtest's accuracy chart, and the months without data
of a chart by month (:func:`mark_months_without_data`, for the web app's and the report's
seasonal charts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots.analysis._arrays import consecutive_runs
from hotspots.analysis.backtest import HOTSPOT_CELLS, METHODS, OWN
from hotspots.draw import cartography


def plot_backtest(records: pd.DataFrame, *, title: str = "", footer: str = ""):
    """A bar chart of PAI by coverage and method (mean PAI when records hold several pairs).

    Colours are viridis steps (colour-blind safe); each bar is labelled with its value.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    grouped = records.groupby(["coverage_label", "method"], sort=False)
    mean = grouped["pai"].mean().unstack("method")
    mean = mean.reindex(columns=[m for m in METHODS if m in mean.columns])
    coverage = grouped["coverage"].mean().unstack("method").reindex_like(mean)
    fig = Figure(figsize=(7.5, 4.2), dpi=150)
    ax = fig.subplots()
    colours = matplotlib.colormaps["viridis"](np.linspace(0.15, 0.85, max(1, len(mean.columns))))
    width = 0.8 / max(1, len(mean.columns))
    x = np.arange(len(mean.index))
    for i, method in enumerate(mean.columns):
        bars = ax.bar(x + (i - (len(mean.columns) - 1) / 2) * width, mean[method].fillna(0),
                      width, label=method, color=colours[i])  # fmt: skip
        ax.bar_label(bars, labels=[f"{v:.0f}" if v == v else "" for v in mean[method]], fontsize=7)
        for bar, value in zip(bars, mean[method]):
            if value != value:  # no score under this heading (the hotspots cover less)
                ax.text(bar.get_x() + bar.get_width() / 2, 0, "not\nreached", ha="center", va="bottom",
                        fontsize=6, color="#444444")  # fmt: skip

    def tick(label: str) -> str:
        share = coverage.loc[label, "dbscan"] if "dbscan" in coverage.columns else float("nan")
        at = f" ({100 * share:.2g}%)" if share == share else ""
        if label == OWN:
            return f"hotspots' own\narea{at}"
        if label == HOTSPOT_CELLS:
            return f"hotspots' cells\n{at.strip()}"
        return f"{label}\nof the area"

    ax.set_xticks(x, [tick(c) for c in mean.index])
    ax.set_ylabel("PAI (share of incidents / share of area)")
    ax.set_title(title or "Predictive accuracy index by method", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if footer:
        fig.text(0.01, 0.01, footer, fontsize=6, color="#444444", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_monthly_profile(ax, profile: pd.DataFrame, *, label=str, linewidth: float = 2.0) -> list:
    """Draw a monthly profile, one line per year, and return the legend's handles.

    Every chart of incidents by month (the web page's, the report pack's) draws
    it so: viridis lines with markers (colour-blind safe, the years in order),
    the months no year covers marked "no data" (:func:`mark_months_without_data`),
    the months as ticks, incidents from 0.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    profile : pandas.DataFrame
        Rows the months, columns the years, NaN where not covered
        (:func:`hotspots.analysis.seasons.monthly_profile`).
    label : callable, default str
        A year's name in the legend.
    linewidth : float, default 2

    Returns
    -------
    list
        The lines' legend handles, then "no data"'s when a month has none.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> p = pd.DataFrame({"2018-19": [np.nan, 3.0, 4.0]}, index=["Apr", "May", "Jun"])
    >>> [h.get_label() for h in plot_monthly_profile(ax, p, label=lambda y: f"FY {y}")]
    ['FY 2018-19', 'no data (months not in the data)']
    """
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    last = max(len(profile.columns) - 1, 1)
    x = range(len(profile.index))
    for i, year in enumerate(profile.columns):
        ax.plot(x, profile[year].to_numpy(), marker="o", linewidth=linewidth,
                color=cmap(0.85 * i / last), label=label(year))  # fmt: skip
    no_data = mark_months_without_data(ax, profile)
    ax.set_xticks(list(x), list(profile.index))
    ax.set_ylabel("Incidents")
    ax.set_ylim(bottom=0)
    return [*ax.get_legend_handles_labels()[0], *no_data]


def mark_months_without_data(ax, profile: pd.DataFrame) -> list:
    """Mark the months of a profile that no year has data for, and return the legend's handles.

    The months where every column is NaN (the data do not cover them, see
    :func:`hotspots.analysis.seasons.monthly_profile`) get a light grey, hatched
    band labelled :data:`~hotspots.draw.cartography.NO_DATA` (grey and texture,
    no hue: colour-blind safe); the lines have gaps there rather than a fall to
    0. Months that some years cover and others not are gaps in those years'
    lines. The categories are drawn at 0, 1, ... as ``ax.plot(range(12), ...)`` does.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    profile : pandas.DataFrame
        Rows the months, columns the years, NaN where not covered.

    Returns
    -------
    list
        ``[]`` when every month holds data, else one legend handle for "no data"
        (add it to the legend, on a white ground so that its swatch does not vanish
        on a band: the words say what the band is).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> p = pd.DataFrame({"2018-19": [np.nan, 3.0, np.nan]}, index=["Apr", "May", "Jun"])
    >>> [h.get_label() for h in mark_months_without_data(ax, p)]
    ['no data (months not in the data)']
    >>> mark_months_without_data(ax, p.fillna(0))
    []
    """
    from matplotlib.patches import Patch

    empty = profile.isna().all(axis=1).to_numpy() if profile.shape[1] else np.zeros(0, bool)
    if not empty.any():
        return []
    style = {"facecolor": cartography.NO_DATA_FILL, "edgecolor": cartography.NO_DATA_HATCH_COLOUR,
             "hatch": cartography.NO_DATA_HATCH, "linewidth": 0}  # fmt: skip
    for run in consecutive_runs(np.flatnonzero(empty).tolist()):
        ax.axvspan(run[0] - 0.5, run[-1] + 0.5, zorder=0, **style)
        ax.text((run[0] + run[-1]) / 2, 0.5, cartography.NO_DATA, transform=ax.get_xaxis_transform(),
                ha="center", va="center", rotation=0 if len(run) > 1 else 90, fontsize=12,
                color="#333333", zorder=1,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"})  # fmt: skip
    ax.set_xlim(-0.5, len(empty) - 0.5)
    return [Patch(label=f"{cartography.NO_DATA} (months not in the data)",
                  **{**style, "linewidth": 0.8})]  # fmt: skip
