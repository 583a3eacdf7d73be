"""Every input used once: police.uk force-months and council cases met again in one read.

police.uk publishes one file per force and month, and hands the same months
out again in zips and in files of a whole year; a council exports its cases
again in the next export. Given twice, they would be counted twice, silently.
:class:`InputLedger` remembers what a read has taken so far and says which
rows of the next file were met before:

* a police.uk row is known by its force (``Falls within``, else the file
  name's force) and ``Month``: a force-month met in an earlier file is taken
  from that file only;
* a council export with the same bytes as an earlier one is skipped, and a
  case whose reference (the export's id column) was met in an earlier export
  is taken from that one only.

Each file that gives something again gets one warning line naming both files.
:func:`overlap_notes` says where council cases and police.uk data cover the
same months (the same incident may be in both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

_POLICE_NAME_RE = re.compile(r"^(\d{4}-\d{2})-(.+)-street\.csv$", re.IGNORECASE)


def force_slug(text: str) -> str:
    """A police force as police.uk's file names write it ("West Mercia Police" -> "west-mercia").

    Examples
    --------
    >>> force_slug("West Mercia Police"), force_slug("Metropolitan Police Service")
    ('west-mercia', 'metropolitan-police-service')
    """
    text = re.sub(r"\s+police$", "", str(text).strip(), flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def name_force_month(name: str) -> tuple[str, str] | None:
    """The force and month of a police.uk file name (``2018-10-west-mercia-street.csv``).

    Examples
    --------
    >>> name_force_month("x/2018-10-west-mercia-street.csv"), name_force_month("asb.csv")
    (('west-mercia', '2018-10'), None)
    """
    match = _POLICE_NAME_RE.match(Path(name).name)
    return (match.group(2).lower(), match.group(1)) if match else None


def police_keys(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's force and month (text) in a police.uk table read as text.

    A file with a police.uk name (``2018-10-west-mercia-street.csv``) is that
    force-month, every row of it, as the store names its batches. Otherwise the
    force is the row's ``Falls within`` (else ``Reported by``, else the file
    itself, so that a file that says nothing of its force is the same only as
    itself) and the month the row's ``Month``.
    """
    n = len(frame)
    named = name_force_month(name.split(":", 1)[-1] if ".zip:" in name else name)
    force = np.full(n, named[0] if named else "", dtype=object)
    for column in ("Falls within", "Reported by"):
        if named or column not in frame.columns:
            continue
        codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
        slugs = np.array([force_slug(u) for u in uniques] + [""], dtype=object)
        force = np.where(force == "", slugs[codes], force)
    force = np.where(force == "", f"<{name}>", force)
    if named:
        month = np.full(n, named[1], dtype=object)
    elif "Month" in frame.columns:
        codes, uniques = pd.factorize(frame["Month"].to_numpy(dtype=object))
        month = np.array([str(u).strip() for u in uniques] + [""], dtype=object)[codes]
    else:
        month = np.full(n, "", dtype=object)
    return force.astype(object), month


def _months_text(pairs: Iterable[tuple[str, str]]) -> str:
    by_force: dict[str, list[str]] = {}
    for force, month in sorted(pairs):
        by_force.setdefault(force, []).append(month or "(no month)")
    parts = []
    for force, months in by_force.items():
        shown = ", ".join(months[:6]) + (f" and {len(months) - 6} more" if len(months) > 6 else "")
        parts.append(f"{force.strip('<>')} {shown}")
    return "; ".join(parts)


@dataclass
class InputLedger:
    """What one read has taken so far (see the module's description)."""

    months: dict[tuple[str, str], str] = field(default_factory=dict)
    council_files: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def police_rows(self, name: str, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of a police.uk table to use (False: its force-month was read before).

        Records the table's force-months, and a note for each earlier file it repeats.
        """
        if not len(frame):  # a header only gives no month (a later file of it is used)
            return np.ones(0, dtype=bool)
        named = name_force_month(name.split(":", 1)[-1] if ".zip:" in name else name)
        if named:  # one force-month, the file's name's: no need to look at the rows
            return np.full(len(frame), not self.police_pairs(name, [named]), dtype=bool)
        force, month = police_keys(frame, name)
        keys = pd.Series(force, dtype=object) + "\x1f" + pd.Series(month, dtype=object)
        codes, uniques = pd.factorize(keys)
        pairs = [tuple(k.split("\x1f", 1)) for k in uniques]
        repeated = self.police_pairs(name, pairs)
        flags = np.array([p in repeated for p in pairs], dtype=bool)
        return ~flags[codes] if len(codes) else np.ones(0, dtype=bool)

    def police_pairs(self, name: str, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (force, month) pairs of a file read before (noted); the others are recorded."""
        by_earlier: dict[str, list[tuple[str, str]]] = {}
        repeated = set()
        for pair in pairs:
            earlier = self.months.get(pair)
            if earlier is not None:
                by_earlier.setdefault(earlier, []).append(pair)
                repeated.add(pair)
            else:
                self.months[pair] = name
        for earlier, again in by_earlier.items():
            self.notes.append(
                f"{name}: {_months_text(again)} was read already from {earlier}; used once "
                "(its rows here left out)"
            )
        return repeated

    def council_file(self, name: str, checksum: str) -> bool:
        """False when an earlier council export had exactly these bytes (then noted)."""
        earlier = self.council_files.get(checksum)
        if earlier is not None:
            self.notes.append(f"{name}: the same file as {earlier}; used once (this copy left out)")
            return False
        self.council_files[checksum] = name
        return True

    def council_cases(self, name: str, refs: Sequence[str]) -> np.ndarray:
        """Which council cases to use (False: the reference was read in an earlier export)."""
        refs = np.asarray(refs, dtype=object)
        earlier = np.array([self.cases.get(r, "") for r in refs], dtype=object) if len(refs) else (
            np.zeros(0, dtype=object))  # fmt: skip
        repeated = (earlier != "") & (refs != "")
        for other in pd.unique(earlier[repeated]):
            these = refs[repeated & (earlier == other)]
            shown = ", ".join(map(str, these[:5])) + (" ..." if len(these) > 5 else "")
            self.notes.append(
                f"{name}: {len(these):,} case(s) ({shown}) were read already from {other}; "
                "used once (their rows here left out)"
            )
        for ref in refs[~repeated]:
            if ref != "":
                self.cases.setdefault(ref, name)
        return ~repeated


def overlap_notes(
    police_months: dict[str, set[str]], council_ranges: dict[str, tuple[str, str]]
) -> list[str]:
    """Notes on council exports whose months police.uk data covers too.

    Parameters
    ----------
    police_months : dict
        police.uk file -> the months (``YYYY-MM``) of its incidents.
    council_ranges : dict
        council export -> its first and last month (``YYYY-MM``).

    Examples
    --------
    >>> overlap_notes({"p.csv": {"2018-10"}}, {"c.csv": ("2018-09", "2018-11")})[0][:61]
    'c.csv: its cases (2018-09 to 2018-11) overlap police.uk month'
    """
    notes = []
    every = sorted({m for months in police_months.values() for m in months})
    for name, (first, last) in council_ranges.items():
        common = [m for m in every if first <= m <= last]
        if not common:
            continue
        files = [p for p, months in police_months.items() if months & set(common)]
        shown = f"{common[0]}" if len(common) == 1 else f"{common[0]} to {common[-1]}"
        more = f" and {len(files) - 1} more" if len(files) > 1 else ""
        notes.append(
            f"{name}: its cases ({first} to {last}) overlap police.uk months {shown} "
            f"({files[0]}{more}); ASB reported to both the council and the police is counted "
            "twice in those months"
        )
    return notes
