"""The `hotspots` command: the issue's acceptance runs, help text, and errors without tracebacks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from hotspots.cli import main
from hotspots.read.geocode import lonlat_to_bng
from tests.conftest import POLICE, REDDITCH_WARDS, TOWN_CENTRE_LONLAT


@pytest.fixture(scope="module")
def autumn_run(tmp_path_factory, shared_data):
    """The issue's acceptance command, run once."""
    out = tmp_path_factory.mktemp("cli") / "c.geojson"
    files = sorted(str(p) for p in POLICE.glob("2018-1*-west-mercia-street.csv"))
    result = CliRunner().invoke(
        main,
        ["clusters", *files, "--wards", str(REDDITCH_WARDS), "--season", "autumn", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    return result, out


def test_clusters_acceptance_largest_in_abbey_near_the_town_centre(autumn_run):
    _, out = autumn_run
    clusters = gpd.read_file(out)
    assert clusters.crs.to_epsg() == 4326
    assert len(clusters) >= 3
    assert clusters["incidents"].tolist() == sorted(clusters["incidents"], reverse=True)
    top = clusters.to_crs(27700).iloc[0]
    assert top["ward"] == "Abbey"
    x, y = lonlat_to_bng([TOWN_CENTRE_LONLAT[0]], [TOWN_CENTRE_LONLAT[1]])
    assert top.geometry.centroid.distance(Point(x[0], y[0])) < 500
    for column in ("cluster_id", "incidents", "share", "ward", "area", "top_locations",
                   "top_categories", "months"):  # fmt: skip
        assert column in clusters.columns


def test_no_cluster_lies_outside_redditch(autumn_run):
    _, out = autumn_run
    clusters = gpd.read_file(out).to_crs(27700)
    borough = gpd.read_file(REDDITCH_WARDS).to_crs(27700).union_all().buffer(100)
    assert clusters["ward"].ne("").all()
    assert all(borough.contains(c) for c in clusters.geometry.centroid)


def test_clusters_run_prints_read_kept_rejected(autumn_run):
    result, _ = autumn_run
    first = result.output.splitlines()[0]
    assert first.startswith("read 31,693 rows from 3 file(s); 9,749 selected; kept")
    assert "rejected" in first and "outside the study area" in first
    kept = int(first.split("kept ")[1].split(";")[0].replace(",", ""))
    rejected = int(first.split("rejected ")[1].split(";")[0].replace(",", ""))
    assert kept + rejected == 9749
    outside = int(first.split("outside the study area ")[1].split(";")[0].replace(",", ""))
    inside = int(first.split("in the study area ")[1].split(" ")[0].replace(",", ""))
    assert outside + inside == kept and 600 < inside < 800  # Redditch is a small part of the force
    assert "just outside a ward boundary, given the nearest ward" in first


def test_csv_and_geopackage_outputs(shared_data, tmp_path):
    files = [str(POLICE / "2018-10-west-mercia-street.csv")]
    for name in ("c.csv", "c.gpkg"):
        out = tmp_path / name
        result = CliRunner().invoke(
            main, ["clusters", *files, "--wards", str(REDDITCH_WARDS), "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(out) if name.endswith("csv") else gpd.read_file(out)
        assert frame["incidents"].iloc[0] >= frame["incidents"].iloc[-1] > 0


def test_demo_command_says_where_outputs_went(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = result.output.split("The demo's outputs are in")[1]
    listed = [line.split()[-1] for line in said.splitlines() if line.startswith("  ")]
    listed = [p for p in listed if "." in Path(p).name]
    assert len(listed) == 11
    for path in listed:
        assert Path(path).exists(), path
    table = pd.read_csv(out / "ward_table.csv")
    assert table["ward"].iloc[-1] == "Grand Total" and len(table) == 13
    autumn = json.loads((out / "clusters_2018-19_autumn.geojson").read_text())
    assert autumn["features"][0]["properties"]["area"] == "Town centre"
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(rejects) == 4 and rejects["line"].tolist() == [1502, 1503, 1504, 1505]


def test_every_command_has_help():
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.get_short_help_str() and "Usage:" in result.output


def test_bad_options_are_explained(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["clusters", "--season", "monsoon"])
    assert result.exit_code == 2 and "'monsoon' is not one of" in result.output
    result = runner.invoke(main, ["clusters", "--fy", "2018/19", "-o", str(tmp_path / "c.geojson")])
    assert result.exit_code == 1 and "must look like '2018-19'" in result.output
    result = runner.invoke(main, ["clusters", "--eps-m", "0", "-o", str(tmp_path / "c.geojson")])
    assert result.exit_code == 1 and "eps_m must be" in result.output
    result = runner.invoke(main, ["wards", "--column", "colour=red"])
    assert result.exit_code == 1 and "--column takes ROLE=NAME" in result.output
    assert "Traceback" not in result.output


def test_tune_suggests_eps(shared_data):
    files = [str(POLICE / "2018-10-west-mercia-street.csv")]
    result = CliRunner().invoke(main, ["tune", *files, "--wards", str(REDDITCH_WARDS)])
    assert result.exit_code == 0, result.output
    eps = float(result.output.strip().splitlines()[-1].split("suggested eps_m: ")[1])
    assert 10 <= eps <= 2000 and math.isfinite(eps)


def test_a_single_value_option_given_twice_is_refused_not_dropped(runner, tmp_path):
    """--wards A --wards B used to keep only B (most of A's incidents then counted outside)."""
    result = runner.run("clusters", "x.csv", "--wards", "A.geojson", "--wards=B.geojson",
                        "-o", tmp_path / "c.geojson")  # fmt: skip
    assert result.exit_code == 2
    assert (
        "--wards was given 2 times ('A.geojson', 'B.geojson') but takes one value" in result.output
    )
    assert "ogr2ogr" in result.output
    assert not (tmp_path / "c.geojson").exists()
    twice = runner.run("tasking", "--fy", "2018-19", "--fy", "2019-20")
    assert twice.exit_code == 2 and "--fy was given 2 times" in twice.output


def test_options_that_take_several_values_still_do(runner, tmp_path):
    """report combines several districts' ward files; --crime-type repeats; -- ends options."""
    from hotspots.cli import repeated_options
    from hotspots.cli.deck import report

    assert repeated_options(report, ["--wards", "a.geojson", "--wards", "b.geojson"]) == {}
    result = runner.run("wards", "--crime-type", "Burglary", "--crime-type",
                        "Anti-social behaviour", "-o", tmp_path / "w.csv")  # fmt: skip
    assert result.exit_code == 0, result.output


def test_dbscan_options_are_defined_once(runner):
    """Every command that clusters offers the same --eps-m / --min-samples (cli._common.dbscan_options)."""
    from hotspots.cli import COMMANDS

    helps = {}
    for name in ("clusters", "map", "tasking", "export", "report", "evaluate", "serve"):
        assert name in COMMANDS
        out = runner.run(name, "--help").output
        helps[name] = " ".join(out.split())
    for name, text in helps.items():
        assert "--eps-m FLOAT DBSCAN neighbourhood radius in metres" in text, name
        assert "--min-samples INTEGER Incidents within --eps-m that make a hotspot core" in text, (
            name
        )


def test_commands_that_show_no_place_text_do_not_redact_it(runner, monkeypatch, tmp_path):
    """`wards` never shows place text, so it skips the street-level step (1.2 s of 5.6 s at 2x10^5)."""
    import hotspots.privacy

    def refuse(*args, **kwargs):
        raise AssertionError("redact_places called")

    monkeypatch.setattr(hotspots.privacy, "redact_places", refuse)
    assert runner.run("wards", "-o", tmp_path / "w.csv").exit_code == 0
    shown = runner.run("clusters", "--season", "autumn", "--fy", "2018-19", "--simulations", "0",
                       "-o", tmp_path / "c.geojson")  # fmt: skip
    assert shown.exit_code == 1 and "redact_places called" in repr(shown.exception)
