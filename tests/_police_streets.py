"""A real-data store with streets made from police.uk map points (for tests and browser tests).

The five real West Mercia months are ingested with the Redditch wards and focus
areas, then ``hotspots fetch streets --from-police`` keeps the streets of the
same files in the store, exactly as a user with no network would do it.
"""

from __future__ import annotations

from pathlib import Path


def build_real_store(folder: Path, police: Path, wards: Path) -> Path:
    """``folder/real.gpkg``: the months in ``police`` (every CSV), ``wards``, streets from them."""
    from click.testing import CliRunner

    from boundaries import get_path
    from hotspots.cli import main

    files = sorted(police.glob("*.csv"))
    assert len(files) == 5, files
    store = folder / "real.gpkg"
    runner = CliRunner()
    done = runner.invoke(main, ["ingest", *map(str, files), "--store", str(store),
                                "--wards", str(wards),
                                "--areas", str(get_path("redditch-focus-areas"))])  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["fetch", "streets", "--from-police", str(police),
                                "--store", str(store)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "approximate streets from" in done.output, done.output
    return store
