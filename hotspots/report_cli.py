"""Commands for reports (``hotspots tasking``, ``export``, ``map``), registered by hotspots.cli."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
