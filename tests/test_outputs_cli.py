"""The report commands: ``hotspots tasking`` and ``hotspots export``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from hotspots.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_commands_are_registered():
    import click

    ctx = click.Context(main)
    assert {"tasking", "export", "map"} <= set(main.list_commands(ctx))
    assert main.get_command(ctx, "tasking").name == "tasking"


def test_tasking_csv_on_the_demo(tmp_path):
    out = tmp_path / "sheet.csv"
    result = run("tasking", "--season", "autumn", "--fy", "2018-19", "-o", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[:8]) == ["rank", "place", "ward", "area", "incidents", "share_pct",
                                       "previous", "trend"]  # fmt: skip
    assert "peak_months" in table.columns
    assert table.loc[0, "place"] == "Market Place / Unicorn Hill"  # the map label, no rank
    assert table.loc[0, "label"] == "1 Market Place / Unicorn Hill"
    assert "hotspot(s) from 865 incidents" in result.output


def test_tasking_pdf_for_one_area(tmp_path):
    out = tmp_path / "sheet.pdf"
    result = run("tasking", "--season", "autumn", "--fy", "2018-19", "--area", "Woodrow",
                 "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(PdfReader(out).pages) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--season", "autumn", "-o", "x.csv"], "--fy YYYY-YY is required"),
        (["--season", "autumn", "--fy", "2018-19", "-o", "x.txt"], "'.pdf', '.html'"),
        (["--season", "autumn", "--fy", "2018-19", "--area", "Mars", "-o", "x.csv"], "Mars"),
    ],
)
def test_tasking_errors_are_one_line(tmp_path, args, words):
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    result = CliRunner().invoke(main, ["tasking", *args])
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output


def test_export_then_rerun_skips(tmp_path):
    out = tmp_path / "maps"
    args = ["export", "--season", "autumn", "--fy", "2018-19", "--dpi", "40",
            "--format", "png,pdf", "-o", str(out)]  # fmt: skip
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert (out / "autumn_2018-19.png").exists() and (out / "autumn_2018-19.pdf").exists()
    assert (out / "index.html").exists() and (out / "report.pdf").exists()
    assert "0 up to date" in first.output
    again = run(*args)
    assert "3 up to date" in again.output  # two maps and the pack
    forced = run(*args, "--force")
    assert "0 up to date" in forced.output
    assert json.loads((out / "manifest.json").read_text())["report.pdf"]


def test_export_rejects_bad_lists(tmp_path):
    result = CliRunner().invoke(main, ["export", "--by", "season,colour", "-o", str(tmp_path)])
    assert result.exit_code != 0 and "--by takes" in result.output
    result = CliRunner().invoke(main, ["export", "--format", "gif", "-o", str(tmp_path)])
    assert result.exit_code != 0 and "--format takes" in result.output


@pytest.mark.shared
def test_real_autumn_2018_tasking_sheet(tmp_path, shared_data):
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "sheet.geojson"
    police = sorted((SHARED / "police-uk" / "west-mercia").glob("2018-1*-west-mercia-street.csv"))
    result = run("tasking", *map(str, police), "--wards", str(SHARED / "wards" / "redditch.geojson"),
                 "--areas", str(root / "boundaries" / "redditch_focus_areas.toml"),
                 "--season", "autumn", "--fy", "2018-19", "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    first = json.loads(out.read_text())["features"][0]["properties"]
    assert first["rank"] == 1 and first["area"] == "Town centre"


def test_map_is_one_offline_html_file(tmp_path):
    import re

    out = tmp_path / "map.html"
    result = run("map", "--season", "autumn", "--fy", "2018-19", "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    # No script or stylesheet fetched from anywhere: everything is inlined.
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "L.map(" in page or "L.Map(" in page
    assert '"maxZoom": 19' in page  # heat and marker layers need it with no tiles
    assert "Open Government Licence" in page
    assert "On or near Market Place" in page  # a hotspot's popup
    bad = CliRunner().invoke(main, ["map", "-o", str(tmp_path / "map.png")])
    assert bad.exit_code != 0 and ".html" in bad.output
