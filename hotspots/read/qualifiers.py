"""Qualifier flags (youth, drugs, alcohol) read from a council export."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError

QUALIFIERS = ("youth", "drugs", "alcohol")
#: ``--column`` roles for qualifiers: a flag column each, or one column listing them as words.
QUALIFIER_ROLES = (*QUALIFIERS, "qualifiers")
log = logging.getLogger(__name__)


_QUALIFIER_COLUMNS = {
    "youth": ("youth", "youths", "youthrelated", "youthflag", "youthinvolved", "youngpeople"),
    "drugs": ("drugs", "drug", "drugrelated", "drugsrelated", "drugflag", "drugsflag"),
    "alcohol": ("alcohol", "alcoholrelated", "alcoholflag", "drink", "drinkrelated"),
}


_LIST_COLUMNS = ("qualifiers", "qualifier", "flags", "flag", "tags", "markers")


_TRUE = {"y", "yes", "true", "t", "1", "x"}


def _key(name: str) -> str:
    return re.sub(r"[\s._\-/]+", "", str(name).strip().lower())


def detect_qualifier_columns(
    header: Sequence[str], given: dict[str, str] | None = None
) -> dict[str, str]:
    """Find qualifier columns in a council export's header.

    Returns a dict from role (``youth``, ``drugs``, ``alcohol``, or ``list``
    for one column listing qualifiers as words, e.g. "Youth; Alcohol") to the
    column name. Roles named in ``given`` (``--column youth=YP_FLAG``) win.

    Examples
    --------
    >>> detect_qualifier_columns(["Ref", "Youth Related", "Alcohol", "Flags"])
    {'youth': 'Youth Related', 'alcohol': 'Alcohol', 'qualifiers': 'Flags'}
    """
    by_key = {_key(c): c for c in header}
    found: dict[str, str] = {}
    for role, names in _QUALIFIER_COLUMNS.items():
        hit = next((by_key[n] for n in names if n in by_key), None)
        if hit:
            found[role] = hit
    hit = next((by_key[n] for n in _LIST_COLUMNS if n in by_key), None)
    if hit:
        found["qualifiers"] = hit
    for role, name in (given or {}).items():
        if role not in QUALIFIER_ROLES:
            raise HotspotsError(
                f"--column {role}=...: qualifier roles are {list(QUALIFIER_ROLES)!r}"
            )
        found[role] = name
    return found


def qualifiers_of_rows(rows: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Turn qualifier columns (flags, or a list of words) into one boolean column per qualifier.

    Examples
    --------
    >>> t = pd.DataFrame({"Youth": ["Y", "", "no"], "Flags": ["", "Drugs; alcohol", "youth"]})
    >>> qualifiers_of_rows(t, {"youth": "Youth", "qualifiers": "Flags"}).values.tolist()
    [[True, False, False], [False, True, True], [True, False, False]]
    """
    out = pd.DataFrame(False, index=rows.index, columns=list(QUALIFIERS))
    for role in QUALIFIERS:
        if role in columns:
            out[role] |= rows[columns[role]].astype(str).str.strip().str.lower().isin(_TRUE)
    if "qualifiers" in columns:
        words = rows[columns["qualifiers"]].astype(str).str.lower()
        for role, names in _QUALIFIER_COLUMNS.items():
            stem = names[0].rstrip("s")  # youth, drug, alcohol
            out[role] |= words.str.contains(rf"\b{stem}", regex=True)
    return out


def read_qualifiers(
    paths: Iterable[str | Path], *, columns: dict[str, str] | None = None
) -> pd.DataFrame:
    """Read the qualifier columns of council exports, keyed by file and line.

    police.uk files are skipped (they have no qualifiers). The keys match the
    incidents' ``source`` and ``line`` (see :mod:`hotspots.read.incidents`).

    Parameters
    ----------
    paths : iterable of str or Path
        The same inputs as given to :func:`hotspots.read.incidents.read_incidents`.
    columns : dict, optional
        Qualifier columns named by the user (``{"youth": "YP_FLAG"}``).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``line`` and one boolean column per qualifier; no rows when
        no export has qualifier columns.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "council.csv")
    >>> _ = Path(p).write_text("Ref,Date,Youth,Drugs\\nA1,1/10/2018,Y,\\nA2,2/10/2018,,Yes\\n")
    >>> read_qualifiers([p])[["line", "youth", "drugs"]].values.tolist()
    [[2, True, False], [3, False, True]]
    """
    from hotspots.read._csv import expand_sources
    from hotspots.read.incidents import is_police_table

    parts = []
    # Files only: a police.uk zip's members ("archive.zip:member") hold no qualifiers.
    for src in expand_sources([p for p in paths if Path(p).exists()]):
        data = src.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        reader = csv.reader(io.StringIO(text))
        header = [c.strip() for c in next(reader, [])]
        if not header or is_police_table(header):
            continue
        found = detect_qualifier_columns(header, columns)
        missing = [n for n in found.values() if n not in header]
        if missing:
            raise HotspotsError(
                f"{src.name}: qualifier column(s) {missing!r} not in the file; it has {header!r}"
            )
        if not found:
            continue
        keep = [header.index(n) for n in found.values()]
        lines, values = [], []
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                lines.append(start)
                values.append([row[i] if i < len(row) else "" for i in keep])
            start = reader.line_num + 1
        table = pd.DataFrame(values, columns=list(found.values()), dtype=str)
        flags = qualifiers_of_rows(table, found)
        flags.insert(0, "line", np.asarray(lines, dtype=np.int64))
        flags.insert(0, "source", src.name)
        parts.append(flags)
    if not parts:
        return pd.DataFrame(columns=["source", "line", *QUALIFIERS])
    return pd.concat(parts, ignore_index=True)


def qualifier_flags(incidents: pd.DataFrame, qualifiers: pd.DataFrame) -> pd.DataFrame:
    """Align qualifiers read by :func:`read_qualifiers` with incidents (by source and line).

    Returns a boolean frame on the incidents' index (False where none recorded).

    Examples
    --------
    >>> i = pd.DataFrame({"source": ["a.csv", "a.csv"], "line": [2, 3]}, index=[10, 11])
    >>> q = pd.DataFrame({"source": ["a.csv"], "line": [3], "youth": [True],
    ...                   "drugs": [False], "alcohol": [True]})
    >>> qualifier_flags(i, q).values.tolist()
    [[False, False, False], [True, False, True]]
    """
    keys = pd.MultiIndex.from_frame(incidents[["source", "line"]].astype({"line": "int64"}))
    q = qualifiers.astype({"line": "int64"}).set_index(["source", "line"])
    q = q[~q.index.duplicated()]
    out = q.reindex(keys)[list(QUALIFIERS)].fillna(False).astype(bool)
    out.index = incidents.index
    return out
