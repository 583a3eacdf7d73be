"""Quality commands: ``evaluate`` (do the hotspots predict?) and ``tune`` (choose eps / min_samples)."""

from __future__ import annotations

from pathlib import Path

import click

from hotspots.cli._common import Inputs, dbscan_options, echo_table, input_options, load_prepared


def _dbscan_options(func):
    func = click.option("--cell-m", type=float, default=None,
                        help="Grid cell size in metres [default: the shorter side of the study "
                             "area's bounding box / 150, rounded to 5 m].")(func)  # fmt: skip
    return dbscan_options(min_samples_from="the training window's data")(func)


def _params(kwargs: dict):
    from hotspots.cli._common import cluster_params

    return cluster_params(kwargs)


def _write_records(records, output: Path) -> None:
    from hotspots.io import atomic_path, write_table

    suffix = output.suffix.lower()
    if suffix == ".json":
        with atomic_path(output) as tmp:
            text = records.to_json(orient="records", indent=1, double_precision=6)
            tmp.write_text(text + "\n", encoding="utf-8")
    elif suffix == ".csv":
        write_table(records, output)
    else:
        raise click.BadParameter(
            f"{output}: write .json or .csv (or a chart with .png)", param_hint="-o"
        )


def _write_chart(records, path: Path, title: str) -> None:
    from hotspots.draw.charts import plot_backtest
    from hotspots.io import ATTRIBUTION, atomic_path

    fig = plot_backtest(records, title=title, footer=ATTRIBUTION)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower() or "png")


@click.command()
@input_options
@click.option(
    "--train",
    metavar="FIRST..LAST",
    help="Training window of months, e.g. 2018-10..2018-11 (hotspots are drawn from it).",
)
@click.option(
    "--test",
    metavar="FIRST..LAST",
    help="Test window that follows, e.g. 2018-12..2019-02 (hotspots are scored on it).",
)
@click.option(
    "--rolling",
    type=click.Choice(["month", "season"]),
    help="Instead of --train/--test: every consecutive pair of months or seasons.",
)
@click.option(
    "--coverage",
    "coverages",
    type=float,
    multiple=True,
    help="Share of the study area to flag, repeatable [default: 0.01, 0.03, 0.05]; "
    "the hotspots' own coverage is always added.",
)
@click.option(
    "--bandwidth-m",
    type=float,
    default=None,
    help="Quartic kernel bandwidth in metres [default: five grid cells].",
)
@_dbscan_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("pai.json"),
    show_default=True,
    help="Records as .json or .csv; a .png/.svg/.pdf writes the chart.",
)
@click.option(
    "--chart", type=click.Path(path_type=Path), help="Also draw the chart (.png, .svg, .pdf)."
)
def evaluate(output: Path, chart: Path | None, **kwargs) -> None:
    """Do the hotspots predict where ASB happens next? A backtest against grid and KDE.

    Hotspots are drawn from the training window and scored on the test window.
    Three methods flag the same area on one grid over the study area:

    \b
      dbscan  this project's hotspots (their hull cells, densest cluster first)
      grid    the grid cells with most training incidents
      kde     the cells with the highest quartic kernel density (bandwidth 5 cells)

    at 1%, 3% and 5% of the study area and at the hotspots' own area. Measures:
    hit rate (n/N), PAI = (n/N)/(a/A) (Chainey, Tompson & Uhlig 2008), PEI = n/n*
    (n* the most any area that size held; Hunt 2016) and RRI = (n/n1)/(N/N1), the
    test window's share over the training window's.

    \b
    Examples:
      hotspots evaluate ../shared/data/police-uk/west-mercia --wards ../shared/data/wards/redditch.geojson \\
          --train 2018-10..2018-11 --test 2018-12..2019-02 -o pai.json --chart pai.png
      hotspots evaluate DATA --wards W --rolling month -o rolling.csv
    """
    import pandas as pd

    from hotspots._errors import HotspotsError
    from hotspots.analysis.backtest import (
        COVERAGES,
        backtest,
        backtest_table,
        parse_window,
        rolling_backtest,
        select_window,
        summarise_backtest,
    )
    from hotspots.cli._common import progress_bar

    chart_suffixes = (".png", ".svg", ".pdf")
    if output.suffix.lower() in chart_suffixes:
        output, chart = None, output
    elif output.suffix.lower() not in (".json", ".csv"):
        raise HotspotsError(f"-o {output}: write .json or .csv records, or a .png/.svg/.pdf chart")
    if chart is not None and chart.suffix.lower() not in chart_suffixes:
        raise HotspotsError(f"--chart {chart}: give a .png, .svg or .pdf file")
    rolling, train_w, test_w = kwargs.pop("rolling"), kwargs.pop("train"), kwargs.pop("test")
    if rolling and (train_w or test_w):
        raise HotspotsError("give either --rolling or --train/--test, not both")
    if not rolling and not (train_w and test_w):
        raise HotspotsError(
            "say what to score: --train 2018-10..2018-11 --test 2018-12..2019-02, or --rolling month"
        )
    windows = (parse_window(train_w), parse_window(test_w)) if not rolling else None
    options = {
        "coverages": tuple(kwargs.pop("coverages")) or COVERAGES,
        "cell_m": kwargs.pop("cell_m"),
        "bandwidth_m": kwargs.pop("bandwidth_m"),
    }
    params = _params(kwargs)
    prepared = load_prepared(Inputs.pop(kwargs), output=output or chart, shows_places=False)
    incidents = prepared.incidents
    if windows:
        labels = tuple("..".join(w) if w[0] != w[1] else w[0] for w in windows)
        train, test = select_window(incidents, windows[0]), select_window(incidents, windows[1])
        for name, label, frame in (("--train", labels[0], train), ("--test", labels[1], test)):
            if frame.empty:
                months = sorted(incidents["month"].unique())
                span = f"{months[0]}..{months[-1]}" if months else "none"
                raise HotspotsError(f"{name} {label} holds no incidents in the study area "
                                    f"(the data covers {span})")  # fmt: skip
        records = backtest(train, test, prepared.wards, params=params, windows=labels, **options)
        shown = records
        title = f"Trained {labels[0]} ({len(train):,}), tested {labels[1]} ({len(test):,})"
    else:
        records = rolling_backtest(incidents, prepared.wards, by=rolling, params=params,
                                   progress=progress_bar, **options)  # fmt: skip
        shown = summarise_backtest(records)
        shown = shown.assign(coverage=100 * shown["coverage"]).rename(
            columns={"coverage": "area %"}
        )
        pairs = records[["train", "test"]].drop_duplicates()
        title = f"Rolling backtest by {rolling}: {len(pairs)} pairs, mean PAI"
    dbscan = records[records["method"] == "dbscan"]
    ms = sorted({int(v) for v in dbscan["min_samples"].dropna()})
    source = f" from {params.source}" if params.source else ""
    click.echo(f"{title}. DBSCAN eps {params.eps_m:g} m, min_samples {', '.join(map(str, ms)) or '-'}"
               f"{source}; grid cells {records['cell_m'].iloc[0]:g} m; KDE bandwidth "
               f"{records['bandwidth_m'].dropna().iloc[0]:g} m" if len(records) else title)  # fmt: skip
    if windows:
        echo_table(backtest_table(shown))
    else:
        with pd.option_context("display.float_format", "{:.2f}".format):
            echo_table(shown)
    if output is not None:
        _write_records(records, output)
        click.echo(f"records written to {output}")
    if chart is not None:
        _write_chart(records, chart, title)
        click.echo(f"chart written to {chart}")


@click.command()
@input_options
@click.option(
    "--train",
    metavar="FIRST..LAST",
    help="Window to draw hotspots from [default: every month but the last].",
)
@click.option(
    "--test",
    metavar="FIRST..LAST",
    help="The window that follows, to score them on [default: the last month].",
)
@click.option(
    "--metric",
    type=click.Choice(["pai", "pei"]),
    default="pai",
    show_default=True,
    help="What to maximise on the test window.",
)
@click.option(
    "--coverage",
    default="0.03",
    show_default=True,
    help="Share of the study area the hotspots are scored on (0.01 = 1%), or 'own' "
    "(the hulls themselves; use with --metric pei).",
)
@click.option(
    "--eps-grid",
    default="50,75,100,125,150,200,250,300",
    show_default=True,
    help="eps_m values to try, metres.",
)
@click.option(
    "--min-samples-grid",
    default="3,4,5,6,8,10,12,15",
    show_default=True,
    help="min_samples values to try.",
)
@click.option(
    "--hull-buffer-m",
    type=float,
    default=25.0,
    show_default=True,
    help="Widen each hotspot's outline by this many metres before scoring it.",
)
@click.option(
    "--cell-m", type=float, default=None, help="Grid cell size in metres [default: rule]."
)
@click.option(
    "--area",
    help="Also suggest eps_m for this focus area (a name from --areas): its "
    "incidents make the k-distance curve. Hotspots are always found on "
    "the whole study area, so the grid search scores all of it.",
)
@click.option(
    "--ward",
    help="Also suggest eps_m for this ward (its name in the boundary file), as --area does.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write the chosen parameters to this TOML file, for --params FILE on "
    "clusters, tasking, export and map, and HOTSPOTS_PARAMS / serve --params.",
)
def tune(output: Path | None, **kwargs) -> None:
    """Choose DBSCAN's eps_m and min_samples: the pair whose hotspots best predict the next window.

    Every pair of --eps-grid x --min-samples-grid clusters the training window and
    is scored on the test window (PAI or PEI at --coverage; see `hotspots
    evaluate`). The k-distance curve's eps suggestion is printed beside it.
    Keep the window you will judge the result on out of --test: tune on
    2018-10 -> 2018-11, then `hotspots evaluate --params FILE --train
    2018-10..2018-11 --test 2018-12..2019-02`.

    \b
    Example:
      hotspots tune ../shared/data/police-uk/west-mercia --wards ../shared/data/wards/redditch.geojson \\
          --train 2018-10 --test 2018-11 --coverage 0.03 -o redditch.toml
    """
    from hotspots._errors import HotspotsError
    from hotspots.analysis.backtest import parse_window, select_window
    from hotspots.analysis.cluster import ClusterParams, default_min_samples, suggest_eps
    from hotspots.analysis.prepare import check_view, select_incidents
    from hotspots.analysis.tune import tune_params, write_params
    from hotspots.cli._common import progress_bar

    def numbers(text: str, cast, name: str) -> tuple:
        try:
            values = tuple(cast(v) for v in text.split(",") if v.strip())
        except ValueError:
            values = ()
        if not values:
            raise HotspotsError(
                f"{name} takes numbers separated by commas, e.g. 50,100,150; got {text!r}"
            )
        return values

    eps_grid = numbers(kwargs.pop("eps_grid"), float, "--eps-grid")
    ms_grid = numbers(kwargs.pop("min_samples_grid"), int, "--min-samples-grid")
    coverage = kwargs.pop("coverage").strip().lower()
    if coverage != "own":
        try:
            coverage = float(coverage.rstrip("%")) / (100 if coverage.endswith("%") else 1)
        except ValueError:
            raise HotspotsError(
                f"--coverage is a share such as 0.03 (or 3%) or 'own'; got {coverage!r}"
            ) from None
    train_w, test_w, metric = kwargs.pop("train"), kwargs.pop("test"), kwargs.pop("metric")
    hull_buffer_m, cell_m = kwargs.pop("hull_buffer_m"), kwargs.pop("cell_m")
    view = {"area": kwargs.pop("area"), "ward": kwargs.pop("ward")}
    prepared = load_prepared(Inputs.pop(kwargs), output=output, shows_places=False)
    check_view(prepared, **view)
    incidents = prepared.incidents
    months = sorted(incidents["month"].unique())
    area = prepared.study_area_m2
    if not train_w and not test_w and len(months) >= 2:
        train_w, test_w = f"{months[0]}..{months[-2]}", months[-1]
    chosen = None
    if train_w and test_w:
        train = select_window(incidents, parse_window(train_w))
        test = select_window(incidents, parse_window(test_w))
        if train.empty or test.empty:
            raise HotspotsError(f"--train {train_w} and --test {test_w} must both hold incidents "
                                f"(the data covers {months[0]}..{months[-1]})")  # fmt: skip
        table = tune_params(
            train, test, prepared.wards, coverage=coverage, metric=metric, eps_grid=eps_grid,
            min_samples_grid=ms_grid, hull_buffer_m=hull_buffer_m, cell_m=cell_m,
            progress=progress_bar,
        )  # fmt: skip
        label = "own area" if coverage == "own" else f"{coverage:.0%} of the area"
        click.echo(f"trained {train_w} ({len(train):,} incidents), scored on {test_w} "
                   f"({len(test):,}) by {metric.upper()} at {label}; best 10 of {len(table)}:")  # fmt: skip
        show = table.head(10).copy()
        show[["hit_rate", "pai", "pei", "rri"]] = show[["hit_rate", "pai", "pei", "rri"]].round(3)
        echo_table(show)
        best = table.iloc[0]
        if not bool(best["eligible"]):
            click.echo("no pair's hotspots reach that coverage: try a larger --eps-grid, a smaller "
                       "--min-samples-grid or a smaller --coverage")  # fmt: skip
        else:
            chosen = ClusterParams(eps_m=float(best["eps_m"]), min_samples=int(best["min_samples"]),
                                   hull_buffer_m=hull_buffer_m)  # fmt: skip
            click.echo(f"chosen: eps_m {chosen.eps_m:g}, min_samples {chosen.min_samples} "
                       f"({metric.upper()} {best[metric]:.3g}, hit rate {best['hit_rate']:.1%})")  # fmt: skip
        pool = train
    else:
        click.echo(f"one month of data ({months[0] if months else 'none'}): nothing to score on, "
                   "so only the k-distance suggestion follows")  # fmt: skip
        pool = incidents
    ms = chosen.min_samples if chosen else default_min_samples(len(pool), area, 100.0)
    if output is not None and chosen is not None:
        notes = {"metric": metric, "coverage": str(coverage), "train": train_w, "test": test_w,
                 "score": float(best[metric]), "hit_rate": float(best["hit_rate"]),
                 "train_incidents": len(train), "k_distance_eps_m": suggest_eps(pool, min_samples=ms)}  # fmt: skip
        write_params(output, chosen, notes=notes)
        click.echo(f"parameters written to {output} (use --params {output})")
    where = view["area"] or view["ward"]
    if where:  # the same min_samples (the study area's), the area's or ward's own curve
        pool = select_incidents(pool, **view)
        if len(pool) <= ms:
            raise HotspotsError(f"{where} has {len(pool)} incident(s), not more than min_samples="
                                f"{ms}: too few for a k-distance curve; use a longer --train")  # fmt: skip
    click.echo(f"k-distance curve for {len(pool):,} incidents{' in ' + where if where else ''}: "
               f"min_samples: {ms}; suggested eps_m: {suggest_eps(pool, min_samples=ms):g}")  # fmt: skip


@click.command()
@input_options
@click.option(
    "--by",
    type=click.Choice(["season", "month"]),
    default="season",
    show_default=True,
    help="Period length: the seasons of each financial year (as the map selects them), "
    "or calendar months.",
)
@click.option(
    "--season",
    type=click.Choice(["winter", "spring", "summer", "autumn", "all"]),
    default="all",
    show_default=True,
    help="With --fy: the periods run up to this season of that year.",
)
@click.option(
    "--fy",
    "financial_year",
    metavar="YYYY-YY",
    help="Periods up to the last one of this financial year (e.g. 2018-19) "
    "[default: every period in the data].",
)
@_dbscan_options
@click.option(
    "--top",
    type=int,
    default=10,
    show_default=True,
    help="How many of the busiest places to list by street name.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("patterns.geojson"),
    show_default=True,
    help="Grid cells with their pattern: .geojson, .gpkg or .csv.",
)
def patterns(
    output: Path, by: str, season: str, financial_year: str | None, top: int, **kwargs
) -> None:
    """Is a place getting worse? Each hotspot place's pattern over consecutive periods.

    A place is a grid cell (--cell-m). Each period's hotspots are found as the
    map finds them (DBSCAN on the whole study area, min_samples chosen from
    that period's incidents unless given); a cell is hot in a period when its
    centre lies in one of them, or it holds one's busiest map point. Over the
    periods up to the selection (oldest first; T of them, the earlier half the
    first T // 2, at least two):

    \b
      persistent    hot in at least 80% of the periods
      emerging      hot in the latest period, never in the earlier half
      former        hot in the earlier half, never in the later half
      diminishing   hot in the earlier half, not in the latest period, still in the later half
      intermittent  any other place hot at least once

    After sfhotspot's hotspot_classify (persistent at 80%, emerging, former,
    intermittent), with a "diminishing" class near ArcGIS Pro's emerging hot
    spot analysis; hotspots here are DBSCAN outlines, not Gi* cells. See
    hotspots.analysis.patterns.classify_pattern for the comparison. The report pack's
    "How places changed" slide shows the same table.

    \b
    Example:
      hotspots patterns --fy 2018-19 --season autumn -o patterns.gpkg
    """
    from hotspots.analysis.patterns import pattern_counts, place_patterns, top_places
    from hotspots.io import write_layer

    cell_m = kwargs.pop("cell_m")
    params = _params(kwargs)
    prepared = load_prepared(Inputs.pop(kwargs), output=output)
    cells = place_patterns(prepared.incidents, prepared.wards, by=by, season=season,
                           financial_year=financial_year, params=params, cell_m=cell_m)  # fmt: skip
    write_layer(cells, output)
    periods = cells.attrs["periods"]
    click.echo(f"{len(cells):,} places (grid cells of {cells.attrs['grid']['cell_m']:g} m) were hot "
               f"in at least one of {len(periods)} {by}s, {periods[0]} to {periods[-1]}; "
               f"written to {output}")  # fmt: skip
    echo_table(pattern_counts(cells))
    if top > 0 and len(cells):
        shown = top_places(cells, top)
        click.echo(f"The {len(shown)} busiest places (neighbouring cells of one street, ward and "
                   "pattern together):")  # fmt: skip
        echo_table(shown.rename(columns={"places": "cells", "periods_hot": f"{by}s hot"}))
