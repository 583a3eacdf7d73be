"""Read and validate incident tables: police.uk street-level CSVs and council exports.

Every reader returns an :class:`IncidentLoad`: the usable incidents as a
GeoDataFrame in British National Grid (EPSG:27700) with the schema below, and
the rows that could not be used, each with its source file, line number and
reason, so that nothing is lost.

Incident schema
---------------
==================  ==========================================================
``incident_id``     police.uk Crime ID, the council's reference, or
                    ``"<file>:<line>"`` when the source has none
``source``          the file (or ``archive.zip:member``) the row came from
``line``            the row's line number in that file (the header is line 1)
``date``            datetime64; the first of the month when only a month is known
``date_precision``  ``"month"`` (police.uk), ``"day"`` or ``"datetime"``
``month``           ``"YYYY-MM"``
``category``        police.uk Crime type, or the council's category
``location``        place text, e.g. ``"On or near Unicorn Hill"`` (may be empty)
``lsoa_code``       LSOA 2011 code where the source gives it (may be empty)
``lsoa_name``       LSOA name where the source gives it (may be empty)
``geometry``        Point, EPSG:27700 (metres)
==================  ==========================================================
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from hotspots._errors import InputFileError
from hotspots.read._csv import (
    Source,
    _read_table,
    _stripped_array,
    _Table,
    expand_sources,
    quote_header,
)
from hotspots.read._once import InputLedger, overlap_notes
from hotspots.read._rows import (
    ASB,
    IncidentLoad,
    _as_text,
    _line_ids,
    _lonlat_points,
    _with_points,
    combine_loads,
    empty_incidents,
)
from hotspots.read.council import CouncilColumns, _council_load, detect_council_columns
from hotspots.read.dates import check_date_format
from hotspots.read.geocode import Geocoder

log = logging.getLogger(__name__)

POLICE_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
# The police.uk columns a reader cannot do without.
_POLICE_REQUIRED = ("Month", "Longitude", "Latitude", "Crime type")


# --------------------------------------------------------------------------- sources


def is_police_table(columns: Sequence[str]) -> bool:
    """Return True if a header looks like a police.uk street-level CSV."""
    return all(c in columns for c in _POLICE_REQUIRED)


# --------------------------------------------------------------------------- checks


# --------------------------------------------------------------------------- police.uk


def read_police_csv(
    source: str | Path | Source, *, crime_types: Sequence[str] | None = (ASB,)
) -> IncidentLoad:
    """Read one police.uk street-level crime CSV.

    Parameters
    ----------
    source : str, Path or Source
        The CSV file (or a :class:`Source` for a zip member).
    crime_types : sequence of str or None, default ("Anti-social behaviour",)
        The ``Crime type`` values to keep; None keeps every type.

    Returns
    -------
    IncidentLoad
        Incidents in EPSG:27700 and the rejected rows with their reasons.

    Raises
    ------
    InputFileError
        If the file is empty, not CSV, or lacks the police.uk columns.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "2018-10-test-street.csv")
    >>> _ = Path(p).write_text(
    ...     "Crime ID,Month,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type\\n"
    ...     ",2018-10,-1.94,52.306,On or near Unicorn Hill,E01,Redditch 001,Anti-social behaviour\\n"
    ...     ",2018-10,,,No Location,,,Anti-social behaviour\\n"
    ... )
    >>> load = read_police_csv(p)
    >>> load.kept, load.rejected, load.rejects["line"].tolist(), load.incidents.crs.to_epsg()
    (1, 1, [3], 27700)
    """
    src = source if isinstance(source, Source) else Source(str(source), Path(source))
    return _police_load(src, _read_table(src), crime_types=crime_types)


def _police_load(
    src: Source, read: _Table, *, crime_types: Sequence[str] | None, points: bool = True
) -> IncidentLoad:
    return _police_batch([(src, read)], crime_types=crime_types, points=points)


def _police_batch(
    items: Sequence[tuple[Source, _Table]],
    *,
    crime_types: Sequence[str] | None,
    points: bool = True,
) -> IncidentLoad:
    """Validate police.uk tables with one header together: every check runs once on all rows.

    The result is what reading each file on its own and combining the loads
    gives: incidents in file and line order, each file's rejects by line, each
    file's notes.
    """
    for src, read in items:
        if not is_police_table(read.frame.columns):
            missing = [c for c in _POLICE_REQUIRED if c not in read.frame.columns]
            raise InputFileError(
                src.name,
                f"is missing police.uk column(s) {missing!r} (it has "
                f"{quote_header(read.frame.columns)})",
                "a police.uk street-level CSV with columns " + ", ".join(POLICE_COLUMNS),
            )
    k = len(items)
    names = np.array([src.name for src, _ in items], dtype=object)
    frames = [read.frame for _, read in items]
    sizes = np.array([len(f) for f in frames], dtype=np.int64)
    n_faults = np.array([read.n_faults for _, read in items], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lines = np.concatenate([read.lines for _, read in items]).astype(np.int64)
    file = np.repeat(np.arange(k), sizes)  # each row's file
    row = np.arange(len(file))  # each row's place in the files' frames, end to end

    def column(name: str) -> np.ndarray:  # one column of the rows kept so far, as text
        if name not in frames[0].columns:
            return np.full(len(file), "", dtype=object)
        parts = [f[name].to_numpy(dtype=object) for f in frames]
        values = np.concatenate(parts) if k > 1 else parts[0]
        return values if len(row) == len(values) else values[row]  # row: a subset, in order

    unpadded = all(read.unpadded for _, read in items)

    def stripped(values: np.ndarray) -> np.ndarray:  # as they are when no value is padded
        return values if unpadded else _stripped_array(values)

    rows_read = sizes + n_faults
    notes: list[list[str]] = [list(read.notes) for _, read in items]
    types = stripped(column("Crime type"))
    if crime_types is not None:
        keep = np.isin(types, list(crime_types))
        held_any = np.bincount(file[keep], minlength=k)
        for i in np.flatnonzero((sizes > 0) & (held_any == 0)):  # files, not rows
            counts = pd.Series(types[file == i], dtype=object).value_counts().head(6)
            held = ", ".join(f"{t} {v:,}" for t, v in counts.items())
            notes[i].append(
                f"{names[i]}: no rows of crime type {', '.join(map(repr, crime_types))} "
                f"among its {sizes[i]:,} rows (it holds: {held}); choose with --crime-type"
            )
        if not keep.all():
            lines, file, row, types = lines[keep], file[keep], row[keep], types[keep]
    for i in np.flatnonzero(rows_read == 0):
        notes[i].append(f"{names[i]}: holds a header and no data rows")
    x, y, reason = _lonlat_points(column("Longitude"), column("Latitude"))
    month_text = stripped(column("Month"))
    codes, months = pd.factorize(month_text)
    parsed = pd.to_datetime(pd.Series(months, dtype=object), format="%Y-%m", errors="coerce")
    bad_month = parsed.isna().to_numpy()[codes] if len(codes) else np.zeros(0, dtype=bool)
    for i in np.flatnonzero(bad_month & (reason == "")):
        text = month_text[i]
        reason[i] = (
            "missing Month" if not text else f"unparseable Month {text!r} (expected YYYY-MM)"
        )
    ok = reason == ""
    rows = file[ok]
    kept_lines = lines[ok]
    incident_id = stripped(column("Crime ID")[ok])
    no_id = incident_id == ""
    if no_id.any():
        incident_id[no_id] = _line_ids(names, rows[no_id], kept_lines[no_id])
    month_codes = codes[ok]
    frame = pd.DataFrame(
        {
            "incident_id": incident_id,
            "source": pd.array(names[rows], dtype="str"),
            "line": kept_lines,
            "date": pd.DatetimeIndex(parsed.to_numpy()[month_codes]),
            "date_precision": np.array(["month"], dtype=object).repeat(len(rows)),  # one str
            "month": parsed.dt.strftime("%Y-%m").to_numpy(dtype=object)[month_codes],
            "category": types[ok],
            "location": stripped(column("Location")[ok]),
            "lsoa_code": stripped(column("LSOA code")[ok]),
            "lsoa_name": stripped(column("LSOA name")[ok]),
            "_x": x[ok],
            "_y": y[ok],
        }
    )
    bad = row[~ok]  # the rejected rows, taken from their files' frames
    with_bad = np.unique(file[~ok])
    rejects = _as_text(pd.concat(
        [frames[i].iloc[bad[file[~ok] == i] - starts[i]] for i in with_bad] or [frames[0].iloc[:0]],
        ignore_index=True,
    ))  # fmt: skip
    for col in POLICE_COLUMNS:
        if col not in rejects.columns:
            rejects[col] = ""
    rejects.insert(0, "reason", reason[~ok])
    rejects.insert(0, "line", lines[~ok])
    rejects.insert(0, "source", pd.array(names[file[~ok]], dtype="str"))
    reject_file = file[~ok]
    if n_faults.sum():
        faults = [read.faults for _, read in items if read.n_faults]
        rejects = pd.concat([rejects, *faults], ignore_index=True)
        reject_file = np.concatenate([reject_file, np.repeat(np.arange(k), n_faults)])
    if len(rejects) > 1:
        order = np.lexsort((rejects["line"].to_numpy(), reject_file))  # stable
        rejects = rejects.iloc[order]
    selected = np.bincount(file, minlength=k) + n_faults
    kept = np.bincount(rows, minlength=k)
    for i in np.flatnonzero((kept == 0) & (selected > 0)):
        notes[i].append(
            f"{names[i]}: none of its {selected[i]:,} selected row(s) could be used; "
            "the rejects file says why"
        )
    flat = tuple(note for file_notes in notes for note in file_notes)
    for note in flat:
        log.warning("%s", note)
    return IncidentLoad(
        _with_points(frame) if points else frame,
        rejects.reset_index(drop=True),
        int(rows_read.sum()),
        int(selected.sum()),
        tuple(str(n) for n in names),
        notes=flat,
    )


# --------------------------------------------------------------------------- council


# --------------------------------------------------------------------------- many files


#: police.uk rows validated together at most (bounds the memory of the text read at once).
_BATCH_ROWS = 100_000


def read_incidents(
    paths: Iterable[str | Path],
    *,
    crime_types: Sequence[str] | None = (ASB,),
    columns: CouncilColumns | None = None,
    geocoder: Geocoder | None = None,
    address_geocoder: Geocoder | None = None,
    date_format: str | None = None,
    progress: Callable[[Iterable[Source]], Iterable[Source]] | None = None,
) -> IncidentLoad:
    """Read police.uk CSVs, folders, zips and council exports into one load.

    Each file's kind is told from its header: police.uk street-level CSVs by
    their ``Month``/``Longitude``/``Latitude``/``Crime type`` columns, anything
    else as a council export.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders or police.uk zips.
    crime_types : sequence of str or None, default ("Anti-social behaviour",)
        police.uk crime types to keep; None keeps all.
    columns, geocoder, address_geocoder, date_format
        For council exports; see :func:`read_council_csv`.
    progress : callable, optional
        Wraps the list of files (the CLI passes a progress bar).

    Returns
    -------
    IncidentLoad
    """
    check_date_format(date_format)
    sources = expand_sources(paths)
    loads = []
    police: list[tuple[Source, _Table]] = []  # files of one header, validated together
    ledger = InputLedger()  # what was read already: each force-month and council case once
    kinds: list[str] = []

    def flush() -> None:
        if police:
            loads.append(_police_batch(police, crime_types=crime_types, points=False))
            kinds.append("police")
            log.info("%d police.uk file(s): %s", len(police), loads[-1].summary())
            police.clear()

    for src in progress(sources) if progress else sources:
        read = _read_table(src)
        if is_police_table(read.frame.columns):
            use = ledger.police_rows(src.name, read.frame)
            if not use.any() and len(use):
                continue  # every force-month of the file was read already (its faults too)
            if not use.all():
                read = replace(read, frame=read.frame.loc[use].reset_index(drop=True),
                               lines=read.lines[use])  # fmt: skip
            if police and list(police[0][1].frame.columns) != list(read.frame.columns):
                flush()
            police.append((src, read))
            if sum(len(r.frame) for _, r in police) >= _BATCH_ROWS:
                flush()
            continue
        flush()
        if not ledger.council_file(src.name, hashlib.sha256(src.read_bytes()).hexdigest()):
            continue
        load = _council_load(
            src, read, columns=columns, geocoder=geocoder,
            address_geocoder=address_geocoder, date_format=date_format, points=False,
        )  # fmt: skip
        if detect_council_columns(
            list(read.frame.columns), columns or CouncilColumns()
        ).incident_id:
            use = ledger.council_cases(
                src.name, load.incidents["incident_id"].to_numpy(dtype=object)
            )
            if not use.all():
                dropped = int((~use).sum())
                load = replace(load, incidents=load.incidents.loc[use].reset_index(drop=True),
                               rows_read=load.rows_read - dropped, selected=load.selected - dropped)  # fmt: skip
        loads.append(load)
        kinds.append("council")
        log.info("%s: %s", src.name, loads[-1].summary())
    flush()
    notes = ledger.notes + overlap_notes(*_months_by_kind(loads, kinds))
    for note in notes:
        log.warning("%s", note)
    # every file's points made at once, so that incidents at one map point share one point
    parts = [ld.incidents for ld in loads if len(ld.incidents)]
    empty = empty_incidents()
    combined = combine_loads(replace(ld, incidents=empty) for ld in loads)
    combined = replace(combined, notes=(*combined.notes, *notes))
    if not parts:
        return combined
    return replace(combined, incidents=_with_points(pd.concat(parts, ignore_index=True)))


def _months_by_kind(loads: Sequence[IncidentLoad], kinds: Sequence[str]) -> tuple[dict, dict]:
    """police.uk file -> its months, and council export -> its first and last month."""
    police: dict[str, set[str]] = {}
    council: dict[str, tuple[str, str]] = {}
    for load, kind in zip(loads, kinds):
        frame = load.incidents
        if not len(frame):
            continue
        if kind == "police":
            police.update(_months_by_file(frame))
        else:
            months = frame.groupby(frame["source"].astype(object), sort=False)["month"]
            for name, first in months.min().items():
                council[str(name)] = (str(first), str(months.max()[name]))
    return police, council


def _months_by_file(incidents: pd.DataFrame) -> dict[str, set[str]]:
    """Each source's months, the sources in the order they first appear.

    A reader's incidents come file by file: each run of one source is looked
    at once, not each row's source text.

    Examples
    --------
    >>> _months_by_file(pd.DataFrame({"source": ["b", "b", "a"], "month": ["x", "x", "y"]}))
    {'b': {'x'}, 'a': {'y'}}
    """
    source = incidents["source"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.concatenate([[True], source[1:] != source[:-1]]))
    runs = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(source))))
    months, texts = pd.factorize(incidents["month"].to_numpy(dtype=object))
    pairs = np.unique(runs[months >= 0] * len(texts) + months[months >= 0])
    found: dict[str, set[str]] = {}
    for run, month in zip((pairs // len(texts)).tolist(), (pairs % len(texts)).tolist()):
        found.setdefault(str(source[starts[run]]), set()).add(str(texts[month]))
    return found
