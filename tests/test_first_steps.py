"""First steps: the command list, help examples that name real files, the demo's outputs."""

from __future__ import annotations

import glob
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hotspots.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
#: Where example inputs live (relative to the project root, as the help says to run from it).
INPUT_ROOTS = ("../shared/", "boundaries/", "data/", "tests/", "bench/")
OUTPUT_FLAGS = ("-o", "--out", "--output")


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def _example_inputs(text: str) -> list[str]:
    """Paths named in a help text that must exist (outputs after -o / --out left out)."""
    tokens = text.replace("\\\n", " ").split()
    found = []
    for before, token in zip(["", *tokens], tokens):
        token = re.sub(r"^[(\"']+|[)\"'.,;:]+$", "", token)
        if before in OUTPUT_FLAGS or not token.startswith(INPUT_ROOTS):
            continue
        found.append(token)
    return found


def test_command_list_is_not_cut_off_mid_phrase():
    listing = _help().split("Commands:")[1]
    entries = re.split(r"\n  (?=\S)", listing.strip())
    assert len(entries) >= len(COMMANDS)
    for entry in entries:
        text = " ".join(entry.split())
        assert not text.endswith("..."), text
        assert text.endswith((".", ")")), text


@pytest.mark.shared
def test_help_examples_name_files_that_exist(shared_data):
    named = []
    for args in [(), *((name,) for name in COMMANDS)]:
        for path in _example_inputs(_help(*args)):
            hits = [Path(p) for p in glob.glob(str(ROOT / path))]
            assert hits and all(p.exists() for p in hits), f"hotspots {' '.join(args)}: {path}"
            named.append(path)
    assert "boundaries/redditch_focus_areas.toml" in named
    assert any(p.startswith("../shared/data/police-uk/") for p in named)


def test_every_tune_option_has_help():
    command = main.get_command(None, "tune")
    options = [p for p in command.params if p.param_type_name == "option"]
    assert {"--area", "--ward"} <= {o for p in options for o in p.opts}
    for option in options:
        assert option.help and len(option.help) > 10, option.opts


def test_tune_for_a_focus_area_and_a_ward(tmp_path):
    runner = CliRunner()
    fast = ["--eps-grid", "100", "--min-samples-grid", "9", "--rejects", str(tmp_path / "r.csv")]
    result = runner.invoke(main, ["tune", *fast, "--area", "Town centre"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert "incidents in Town centre" in last and float(last.split("suggested eps_m: ")[1]) >= 10
    result = runner.invoke(main, ["tune", *fast, "--ward", "Nowhere"])
    assert result.exit_code == 1 and "give one of" in result.output and "Abbey" in result.output


def test_clusters_of_a_ward_state_the_parameters(tmp_path):
    out = tmp_path / "abbey.csv"
    result = CliRunner().invoke(main, ["clusters", "--season", "autumn", "--fy", "2018-19",
                                       "--ward", "Abbey", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "of the study area's" in result.output and "lie in Abbey" in result.output
    assert "DBSCAN eps 100 m, min_samples" in result.output
    table = pd.read_csv(out)
    assert "share_pct" in table.columns and "share" not in table.columns
    assert set(table["ward"]) == {"Abbey"}
    assert (table["share_pct"] == table["share_pct"].round(1)).all()


def test_export_season_all_makes_whole_year_maps(tmp_path):
    out = tmp_path / "export"
    result = CliRunner().invoke(main, ["export", "--season", "all", "--no-pack", "--dpi", "40",
                                       "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.png")) == ["2017-18.png", "2018-19.png"]
    mixed = CliRunner().invoke(main, ["export", "--season", "all", "--season", "autumn",
                                      "-o", str(out)])  # fmt: skip
    assert mixed.exit_code == 1 and "--season all" in mixed.output


def test_demo_writes_map_tasking_sheet_and_report_pack(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = result.output.split("The demo's outputs are in")[1]
    paths = {Path(m) for m in re.findall(r"(\S+\.(?:html|pdf|csv|geojson|gpkg))\s*$", said, re.M)}
    for name in ("map_2018-19_autumn.html", "tasking_2018-19_autumn.pdf", "report/report.pdf",
                 "report/index.html", "ward_table.csv", "rejects.csv"):  # fmt: skip
        assert out / name in paths, name
    for path in paths:
        assert path.is_file() and path.stat().st_size > 0, path
    assert (out / "map_2018-19_autumn.html").read_text(encoding="utf-8").count("<script") > 3
    assert (out / "tasking_2018-19_autumn.pdf").read_bytes().startswith(b"%PDF")
    assert "$ hotspots tasking --season autumn --fy 2018-19" in result.output
