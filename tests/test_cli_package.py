"""The command package: fast --help, every listed command loads, names agree with the library."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from click.testing import CliRunner

from hotspots.analysis.seasons import SEASONS
from hotspots.cli import COMMANDS, main
from hotspots.cli._common import ASB as CLI_ASB
from hotspots.cli._common import COLUMN_ROLES, SEASON_NAMES
from hotspots.read._rows import ASB
from hotspots.read.council import CouncilColumns


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from hotspots.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('pandas', 'geopandas', 'sklearn', 'matplotlib', 'folium', "
        "'flask') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Commands:" in out.stdout
    assert "HEAVY []" in out.stdout, out.stdout[-400:]


def test_every_listed_command_loads_and_has_help():
    runner = CliRunner()
    listing = runner.invoke(main, ["--help"]).output
    for name in COMMANDS:
        assert f"  {name} " in listing
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def test_cli_names_agree_with_the_library():
    assert SEASON_NAMES == SEASONS
    assert CLI_ASB == ASB
    roles = {f.name for f in dataclasses.fields(CouncilColumns)} - {"default_category"}
    assert set(COLUMN_ROLES) == roles


def test_bad_column_role_is_a_one_line_error():
    result = CliRunner().invoke(main, ["wards", "--column", "when=Date"])
    assert result.exit_code == 1
    assert "--column takes ROLE=NAME" in result.output
    assert "Traceback" not in result.output


def test_clusters_without_the_chance_test_imports_no_scipy_and_tunes_the_collector(tmp_path):
    """DBSCAN, the labels and the files of `clusters --simulations 0` need neither SciPy
    nor scikit-learn (SciPy's import was an eighth of the command's CPU at 2x10^5 incidents);
    the garbage collector is tuned for a batch command (the libraries' objects frozen)."""
    from hotspots.cli._common import BATCH_GC_THRESHOLD

    out = tmp_path / "c.geojson"
    code = (
        "import gc, sys\n"
        "from hotspots.cli import main\n"
        f"main(['clusters', '--simulations', '0', '-o', {str(out)!r}], standalone_mode=False)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'scipy', 'sklearn', 'matplotlib', 'folium'})\n"
        "print('HEAVY', heavy)\n"
        "print('GC', gc.get_threshold()[0], gc.get_freeze_count())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "cluster(s) from" in run.stdout and out.stat().st_size > 0
    assert "HEAVY []" in run.stdout, run.stdout[-400:]
    threshold, frozen = map(int, run.stdout.split("GC ")[1].split())
    assert threshold == BATCH_GC_THRESHOLD and frozen > 50_000  # pandas, geopandas, ...


def test_clusters_with_the_chance_test_imports_no_scipy(tmp_path):
    """The chance test (catchments, the pruning bound, lone-point law, simulated DBSCAN) runs on
    NumPy and shapely alone: SciPy's import was a fifth of a kept-catchments `clusters` run."""
    out = tmp_path / "c.geojson"
    code = (
        "import sys\n"
        "from hotspots.cli import main\n"
        f"main(['clusters', '--simulations', '99', '-o', {str(out)!r}], standalone_mode=False)\n"
        "print('HEAVY', sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn'}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "significant: Monte Carlo, " in run.stdout and out.stat().st_size > 0, run.stdout[-400:]
    assert "HEAVY []" in run.stdout, run.stdout[-400:]


def test_batch_allocator_keeps_big_arrays_on_the_heap():
    """A batch command's arrays of up to 256 MiB come from the C heap (reused when freed), not
    from a memory map each (page-faulted in again every time); `serve` is not tuned."""
    code = (
        "import ctypes, sys\n"
        "import numpy as np\n"
        "class Info(ctypes.Structure):\n"
        "    _fields_ = [(n, ctypes.c_size_t) for n in ('arena ordblks smblks hblks hblkhd "
        "usmblks fsmblks uordblks fordblks keepcost').split()]\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.mallinfo2.restype = Info\n"
        "def mapped(): return libc.mallinfo2().hblks\n"
        "before = mapped(); a = np.ones(2_000_000); during = mapped(); del a\n"
        "print('DEFAULT', during - before)\n"
        "from hotspots.cli._common import batch_allocator\n"
        "print('TUNED', batch_allocator())\n"
        "before = mapped(); a = np.ones(2_000_000); during = mapped(); del a\n"
        "print('AFTER', during - before)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    said = dict(line.split() for line in run.stdout.splitlines())
    assert said == {"DEFAULT": "1", "TUNED": "True", "AFTER": "0"}, run.stdout
