"""Charts drawn with matplotlib (the backtest's accuracy chart)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots.analysis.backtest import HOTSPOT_CELLS, METHODS, OWN


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
