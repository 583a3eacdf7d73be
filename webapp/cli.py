"""Commands of the web app (``hotspots serve``, ``hotspots users``), registered by hotspots.cli."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
