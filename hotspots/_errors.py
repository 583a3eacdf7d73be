"""The project's exception types.

Every error that a user can cause (a wrong file, a bad option, a column that is
missing) is raised as a :class:`HotspotsError`, a :class:`ValueError` whose
message says what was expected, what was found and how to fix it. The CLI and
the web app print these messages; they never show a traceback for them.
"""

from __future__ import annotations


class HotspotsError(ValueError):
    """A problem with the user's input that the user can fix."""


class InputFileError(HotspotsError):
    """A whole input file is not what it claims to be (not CSV, empty, wrong columns)."""

    def __init__(self, path: object, problem: str, expected: str | None = None) -> None:
        msg = f"{path}: {problem}"
        if expected:
            msg += f". Expected {expected}"
        super().__init__(msg)
        self.path = str(path)
        self.problem = problem


class ConfigError(HotspotsError):
    """A configuration file (focus areas, boundaries) cannot be used."""


class GeocodingError(HotspotsError):
    """Geocoding was needed but cannot be done as configured."""
