"""Charts drawn with matplotlib (the backtest's accuracy chart)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots.analysis.backtest import METHODS, OWN


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
    short = (~grouped["reached"].all()).unstack("method").reindex_like(mean).fillna(False)
    short = short.astype(bool) & (mean.columns == "dbscan")[None, :]
    fig = Figure(figsize=(7.5, 4.2), dpi=150)
    ax = fig.subplots()
    colours = matplotlib.colormaps["viridis"](np.linspace(0.15, 0.85, max(1, len(mean.columns))))
    width = 0.8 / max(1, len(mean.columns))
    x = np.arange(len(mean.index))
    for i, method in enumerate(mean.columns):
        bars = ax.bar(x + (i - (len(mean.columns) - 1) / 2) * width, mean[method].fillna(0),
                      width, label=method, color=colours[i])  # fmt: skip
        for bar, is_short in zip(bars, short[method]):
            if is_short:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
        labels = [f"{v:.0f}" + ("*" if s else "") if v == v else "" for v, s in zip(mean[method], short[method])]
        ax.bar_label(bars, labels=labels, fontsize=7)
    if short.to_numpy().any():
        footer = "* hatched: the hotspots cover less than the target area and are scored on their own. " + footer
    ax.set_xticks(x, [f"{c} of the area" if c != OWN else "hotspots' own area" for c in mean.index])
    ax.set_ylabel("PAI (share of incidents / share of area)")
    ax.set_title(title or "Predictive accuracy index by method", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if footer:
        fig.text(0.01, 0.01, footer, fontsize=6, color="#444444", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
