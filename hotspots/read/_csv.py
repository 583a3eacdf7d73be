"""The tolerant CSV reader: encodings, delimiters, quoting, repeated headers; sources."""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hotspots._errors import InputFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One CSV to read: a file on disk or a member of a zip archive."""

    name: str
    path: Path
    member: str | None = None

    def read_bytes(self) -> bytes:
        """Return the file's bytes."""
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member)


_STREET_RE = re.compile(r"-street\.csv$", re.IGNORECASE)


def expand_sources(paths: Iterable[str | Path]) -> list[Source]:
    """List the CSV files behind the inputs: files, folders and police.uk zips.

    A folder is searched recursively for police.uk ``*-street.csv`` files (or any
    ``*.csv`` when it has none); from a zip the ``*-street.csv`` members are
    taken (police.uk's outcomes and stop-and-search files are skipped).

    Raises
    ------
    InputFileError
        If an input does not exist, or a folder or zip holds no CSV.
    """
    sources: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputFileError(path, "does not exist", "a police.uk CSV, folder or zip")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if _STREET_RE.search(p.name))
            found = found or sorted(path.rglob("*.csv"))
            if not found:
                raise InputFileError(path, "is a folder with no CSV files", "*-street.csv files")
            sources += [Source(str(p), p) for p in found]
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist() if _STREET_RE.search(n))
                names = names or sorted(n for n in archive.namelist() if n.endswith(".csv"))
            if not names:
                raise InputFileError(path, "is a zip with no CSV files", "police.uk's zip")
            sources += [Source(f"{path}:{n}", path, n) for n in names]
        else:
            sources.append(Source(str(path), path))
    return sources


@dataclass(frozen=True)
class _Table:
    """A CSV read as text: the good rows, their line numbers, and the rows that are faults."""

    frame: pd.DataFrame
    lines: np.ndarray
    faults: pd.DataFrame  # source, line, reason, then the row's fields under the header's names
    unpadded: bool = False  # True: no value starts or ends with whitespace (seen in the bytes)
    notes: tuple[str, ...] = ()  # what the user should check: lines read in another encoding

    @property
    def n_faults(self) -> int:
        return len(self.faults)


_BOMS = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig"))


_DELIMITERS = (",", ";", "\t", "|")


_HEADER_QUOTE_CHARS = 200


def quote_header(columns: Sequence[str], limit: int = _HEADER_QUOTE_CHARS) -> str:
    """Quote a header for a message, cut to about ``limit`` characters.

    Examples
    --------
    >>> quote_header(["Date", "Postcode"])
    "['Date', 'Postcode']"
    >>> len(quote_header(["x" * 5000])) < 260
    True
    """
    text = repr(list(columns))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(columns):,} column(s), {len(text):,} characters)"


#: What a NUL byte becomes in the text, and the first of the marks of undecodable bytes
#: (U+DC80..U+DCFF, Python's "surrogateescape"): rows holding one are rejected.
_NUL_MARK = "\udc00"
_BAD_BYTES = re.compile("[\udc00-\udcff]")
#: The reason given to a file's last row when the file ends inside it (a truncated copy).
CUT_SHORT = "the last row is cut short"
#: More NUL bytes than this share of the start of a file: it is binary, not a CSV.
_BINARY_SHARE = 0.01


def _decode(data: bytes, name: str) -> tuple[str, str, tuple[str, ...]]:
    """Return a file's text, the encoding used and notes (UTF-16 and UTF-8 by their BOM).

    UTF-8 is tried first; then UTF-8 with its few lines that are not UTF-8 read
    as Windows-1252 (:func:`_mixed_utf8`, a note names them); then Windows-1252
    (council exports from Excel). A byte that none can read, and a NUL byte,
    are kept in the text as marks (U+DC80..U+DCFF, U+DC00) so that their rows
    can be rejected with a reason (:func:`_reject_marked_rows`); a file whose
    header holds NUL bytes, or whose start is more than 1% NUL bytes, is
    binary and refused.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                break
            if "\x00" not in text[:65536]:  # a NUL further on marks its row, as below
                return _nul_marked(text), encoding, ()
            break
    head = data[:65536]
    nul = head.count(b"\x00")
    if nul and (nul > _BINARY_SHARE * len(head) or b"\x00" in head.split(b"\n", 1)[0]):
        raise InputFileError(
            name,
            "is not a CSV text file (it holds binary data)",
            "a CSV file; a UTF-16 export needs its byte-order mark (or save it as UTF-8 CSV)",
        )
    nul = bool(nul) or b"\x00" in data
    try:
        return _nul_marked(data.decode("utf-8"), nul), "utf-8", ()
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return _nul_marked(mixed[0], nul), MIXED_ENCODING, (_mixed_note(name, mixed[1]),)
    try:  # council exports from Excel
        return _nul_marked(data.decode("cp1252"), nul), "cp1252", ()
    except UnicodeDecodeError:
        pass
    # Neither: read as Windows-1252, the bytes it cannot read kept as marks (their rows rejected).
    text = data.decode("cp1252", errors="surrogateescape").replace("\x00", _NUL_MARK)
    log.warning("%s: neither UTF-8 nor Windows-1252; read as Windows-1252, rows with bytes it "
                "cannot read are rejected", name)  # fmt: skip
    return text, "cp1252", ()


def _nul_marked(text: str, nul: bool | None = None) -> str:
    """``text`` with its NUL characters as marks (their rows are rejected).

    ``nul`` says whether the bytes hold one, when known (a search of the text is saved).
    """
    if nul is None:
        nul = "\x00" in text
    return text.replace("\x00", _NUL_MARK) if nul else text


#: What :func:`_decode` calls a UTF-8 file with some lines read as Windows-1252.
MIXED_ENCODING = "utf-8 (some lines cp1252)"
#: Line numbers a note lists at most.
_NOTE_LINES = 10


def _mixed_utf8(data: bytes) -> tuple[str, list[int]] | None:
    """Text of a UTF-8 file with a few lines that are not: those read as Windows-1252.

    Exports often join rows of several systems: a UTF-8 file with a row pasted
    from an old one. Reading the whole file as Windows-1252 would garble every
    other row's text ("CafÃ©"); here only the lines UTF-8 cannot read are.

    Parameters
    ----------
    data : bytes
        The file's bytes (not valid UTF-8).

    Returns
    -------
    tuple of (str, list of int) or None
        The text and the numbers of the lines read as Windows-1252 (lines
        end at "\\n", or at "\\r" in a file without "\\n"); None when the file is
        rather Windows-1252: no line is UTF-8 beyond ASCII, or the lines that
        are not UTF-8 outnumber them.
        A byte Windows-1252 cannot read either stays a mark (U+DC80..U+DCFF).

    Examples
    --------
    >>> _mixed_utf8("Café\\n".encode() + "Rue £\\n".encode("cp1252") + "Étienne\\n".encode())
    ('Café\\nRue £\\nÉtienne\\n', [2])
    >>> _mixed_utf8("Café\\nRue £\\n".encode("cp1252")) is None
    True
    """
    lines, starts, ends = _non_ascii_lines(data)
    view = memoryview(data)
    bad: list[int] = []  # indices into starts/ends
    for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist())):
        try:
            str(view[start:end], "utf-8")
        except UnicodeDecodeError:
            bad.append(i)
            if 2 * len(bad) > len(starts):  # more lines not UTF-8 than UTF-8: Windows-1252
                return None
    if not bad:  # not reached: a byte UTF-8 cannot read is beyond ASCII
        return None
    pieces: list[str] = []
    at = 0
    for i in bad:
        start, end = int(starts[i]), int(ends[i])
        pieces += [str(view[at:start], "utf-8"),
                   str(view[start:end], "cp1252", errors="surrogateescape")]  # fmt: skip
        at = end
    pieces.append(str(view[at:], "utf-8"))
    return "".join(pieces), (lines[bad] + 1).tolist()


def _non_ascii_lines(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lines holding a byte beyond ASCII (0-based), where they start and end (before "\\n").

    A file with no "\\n" but "\\r" (an old Mac's line ends) has its lines end at "\\r".

    Examples
    --------
    >>> [a.tolist() for a in _non_ascii_lines("a\\r£\\rb".encode("cp1252"))]
    [[1], [2], [3]]
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(arr == 10)
    if not len(breaks):
        breaks = np.flatnonzero(arr == 13)
    lines = np.unique(np.searchsorted(breaks, np.flatnonzero(arr >= 0x80)))
    starts = np.concatenate([[0], breaks + 1])[lines]
    ends = np.append(breaks, len(arr))[lines]
    return lines, starts, ends


def _mixed_note(name: str, numbers: Sequence[int]) -> str:
    """The note naming the lines of a UTF-8 file that were read as Windows-1252.

    Examples
    --------
    >>> _mixed_note("x.csv", [17, 203])
    'x.csv: lines 17, 203 are not UTF-8; read as Windows-1252 (check their text)'
    >>> _mixed_note("x.csv", [4])
    'x.csv: line 4 is not UTF-8; read as Windows-1252 (check its text)'
    >>> _mixed_note("x.csv", range(1, 13)).split("; ")[0]
    'x.csv: lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more are not UTF-8'
    """
    shown = ", ".join(str(n) for n in list(numbers)[:_NOTE_LINES])
    more = len(numbers) - _NOTE_LINES
    if len(numbers) == 1:
        return f"{name}: line {shown} is not UTF-8; read as Windows-1252 (check its text)"
    which = f"lines {shown}{f' and {more:,} more' if more > 0 else ''}"
    return f"{name}: {which} are not UTF-8; read as Windows-1252 (check their text)"


def _undecodable(data: bytes) -> bool:
    """True when Windows-1252 cannot read some byte (0x81, 0x8d, 0x8f, 0x90, 0x9d)."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return True
    return False


def _byte_reason(value: str) -> str:
    """Why a row holding a marked byte is rejected."""
    byte = ord(_BAD_BYTES.search(value).group()) - 0xDC00
    if byte == 0:
        return "a NUL byte (0x00) in the row: a damaged file?"
    return (f"undecodable byte 0x{byte:02x}: this row is neither UTF-8 nor Windows-1252 "
            "(save the file as UTF-8 CSV)")  # fmt: skip


def _clean_marks(values: pd.Series) -> pd.Series:
    """Text with the byte marks shown as U+FFFD (what a rejects file can hold)."""
    return values.astype(object).map(
        lambda v: _BAD_BYTES.sub("\ufffd", v) if isinstance(v, str) else v
    )


def _reject_marked_rows(frame: pd.DataFrame, lines: np.ndarray, faults: pd.DataFrame) -> tuple:
    """Rows holding a NUL or undecodable byte taken out as faults, with their line and reason."""
    marked = np.zeros(len(frame), dtype=bool)
    first = np.full(len(frame), "", dtype=object)
    for col in frame.columns:
        hit = frame[col].astype(str).str.contains(_BAD_BYTES, regex=True).to_numpy()
        new = hit & ~marked
        first[new] = frame[col].to_numpy(dtype=object)[new]
        marked |= hit
    if len(faults):
        faults = faults.copy()
        for col in faults.columns[2:]:
            faults[col] = _clean_marks(faults[col])
    frame = frame.set_axis([_BAD_BYTES.sub("\ufffd", str(c)) for c in frame.columns], axis=1)
    if not marked.any():
        return frame, lines, faults
    records = [(int(ln), [_BAD_BYTES.sub("\ufffd", str(v)) for v in row], _byte_reason(why))
               for ln, row, why in zip(lines[marked], frame.loc[marked].itertuples(index=False),
                                       first[marked])]  # fmt: skip
    bad = _fault_frame(list(frame.columns), records)
    faults = pd.concat([f for f in (faults, bad) if len(f)] or [faults], ignore_index=True)
    return frame.loc[~marked].reset_index(drop=True), lines[~marked], faults


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: the most common of , ; tab | outside quotes."""
    bare = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: bare.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _first_line(text: str) -> str:
    return next((ln for ln in text.split("\n", 50)[:50] if ln.strip()), "")


def read_header(data: bytes) -> list[str]:
    """The header row of a CSV's bytes, as the readers see it (BOM, delimiter, quotes).

    Only the start of the file is decoded: what the store needs to tell a
    police.uk file from a council export before it reads the whole file.

    Examples
    --------
    >>> read_header("Month;Crime type\\n2018-10;x\\n".encode("utf-16"))
    ['Month', 'Crime type']
    """
    head = data[:65536]
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "utf-8")
    if encoding == "utf-16" and len(head) % 2:
        head = head[:-1]
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    # any line break ends the header: "\r" alone too (Excel for Mac's "CSV (Macintosh)")
    line = _first_line(text.replace("\r\n", "\n").replace("\r", "\n"))
    row = next(csv.reader([line], delimiter=_sniff_delimiter(line)), [])
    return _unique_names(row)


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for raw in header:
        name, k = raw.strip(), 0
        while name in names:
            k += 1
            name = f"{raw.strip()}.{k}"
        names.append(name)
    return names


def _read_table(source: Source) -> _Table:
    """Read a CSV as text columns, with each row's line number.

    Rows with too many or too few fields, and repeated header rows, are not
    errors of the whole file: they come back in ``faults`` with a reason.
    """
    data = source.read_bytes()
    if not data or data.isspace():
        raise InputFileError(source.name, "is empty", "a CSV file with a header row")
    text, encoding, notes = _decode(data, source.name)
    # NUL and undecodable bytes leave marks (their rows are rejected); looked for only when
    # the bytes may hold them (a search of the text costs as much as reading it)
    marked = (
        b"\x00" in data or (encoding in ("cp1252", MIXED_ENCODING) and _undecodable(data))
    ) and (_BAD_BYTES.search(text) is not None)
    if not text or text.isspace():
        raise InputFileError(source.name, "is empty", "a CSV file with a header row")
    delimiter = _sniff_delimiter(_first_line(text))
    table = None
    if '"' not in text and not marked:
        table = _read_plain(data if encoding in ("utf-8", "cp1252") else text.encode("utf-8"),
                            "cp1252" if encoding == "cp1252" else "utf-8", delimiter)  # fmt: skip
    unpadded = table is not None and table[3]
    if table is None:
        table = _read_quoted(text, delimiter, source.name)
    frame, lines, faults = table[:3]
    if marked:
        frame, lines, faults = _reject_marked_rows(frame, lines, faults)
    frame, lines, repeated = _drop_repeated_headers(frame, lines)
    if len(repeated):
        faults = pd.concat([f for f in (faults, repeated) if len(f)], ignore_index=True)
    faults.insert(
        0, "source", np.full(len(faults), source.name, dtype=object), allow_duplicates=True
    )
    if len(faults) > 1:
        faults = faults.sort_values("line", kind="stable", ignore_index=True)
    return _Table(frame, lines, faults, unpadded, notes)


def _fault_frame(
    columns: list[str], records: list[tuple[int, list[str], str]], delimiter: str = ","
) -> pd.DataFrame:
    """Rejected records as rows: line, reason, then their fields under the header's names.

    Extra fields are joined (with the file's delimiter) onto the last column, so
    nothing of the row is lost.
    """
    n = len(columns)
    if not records:  # the usual case: a copy of one made once per header
        return _no_faults(tuple(columns)).copy(deep=False)
    rows = []
    for line, fields, reason in records:
        cells = fields[:n] + [""] * (n - len(fields))
        if len(fields) > n:
            cells[-1] = delimiter.join(fields[n - 1 :])
        rows.append([line, reason, *cells])
    return pd.DataFrame(rows, columns=["line", "reason", *columns]).astype(
        {"line": "int64", **dict.fromkeys(columns, object)}
    )


@functools.lru_cache(maxsize=32)
def _no_faults(columns: tuple[str, ...]) -> pd.DataFrame:
    empty = pd.DataFrame(np.empty((0, len(columns) + 2), dtype=object),
                         columns=["line", "reason", *columns])  # fmt: skip
    empty.isetitem(0, np.empty(0, dtype=np.int64))
    return empty


def _read_plain(raw: bytes, encoding: str, delimiter: str) -> tuple | None:
    """Fast path for a file with no quotes: field counts per line from the bytes.

    Returns the frame, its line numbers, no faults, and whether no value starts
    or ends with whitespace (:func:`_unpadded`); None when some line has the
    wrong number of fields (the careful reader then handles the file).
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    arr = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(arr)]])
    found = np.flatnonzero(arr == ord(delimiter))
    fields = np.searchsorted(found, ends) - np.searchsorted(found, starts) + 1
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 13))
    numbers = np.flatnonzero(~blank) + 1
    if len(numbers) == 0:
        return None
    n = fields[numbers[0] - 1]
    if (fields[numbers - 1] != n).any():
        return None
    frame = pd.read_csv(  # object, not str: the checks work on object arrays, without a copy
        io.BytesIO(raw), sep=delimiter, encoding=encoding, dtype=object,
        na_filter=False, index_col=False, skip_blank_lines=True, quoting=csv.QUOTE_NONE,
    )  # fmt: skip
    frame.columns = _unique_names([str(c) for c in frame.columns])
    lines = numbers[1:].astype(np.int64)
    if len(lines) != len(frame):
        return None
    # a row whose every field is empty: its line holds the delimiters only (and a "\r" to end it)
    size, last = length[lines - 1], arr[np.maximum(ends[lines - 1] - 1, 0)]
    blank_rows = (size == n - 1) | ((size == n) & (last == 13))
    if blank_rows.any():  # else the frame as read (its index is a range already)
        frame, lines = frame.loc[~blank_rows].reset_index(drop=True), lines[~blank_rows]
    edges = (starts[numbers - 1], ends[numbers - 1] - 1, found)
    return frame, lines, _fault_frame(list(frame.columns), []), _unpadded(arr, *edges)


#: Bytes that may begin or end a value ``str.strip`` changes: ASCII whitespace but the line
#: break (which ends the line), and every non-ASCII byte (a UTF-8 or Windows-1252 space?).
_MAY_PAD = np.zeros(256, dtype=bool)
_MAY_PAD[[9, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_MAY_PAD[128:] = True


def _unpadded(arr: np.ndarray, first: np.ndarray, last: np.ndarray, delimiters: np.ndarray) -> bool:
    """True when no field of an unquoted file starts or ends with whitespace.

    Then every value read is its own stripped text, and the readers need not
    strip them. Only the bytes at the fields' edges are looked at: each line's
    first and last byte, and the bytes either side of each delimiter (a
    delimiter or line break there is an empty field). A doubtful byte (a
    carriage return, a non-ASCII byte) answers False.

    Parameters
    ----------
    arr : numpy.ndarray of uint8
        The file's bytes.
    first, last : numpy.ndarray of int
        The first and last byte of each line that is not blank.
    delimiters : numpy.ndarray of int
        Where the delimiters are.

    Examples
    --------
    >>> def check(raw):
    ...     arr = np.frombuffer(raw, dtype=np.uint8)
    ...     return _unpadded(arr, np.array([0]), np.array([len(raw) - 1]),
    ...                      np.flatnonzero(arr == ord(",")))
    >>> check(b"a,,b c,d"), check(b"a, b"), check(b"a ,b"), check(b"a,\\xc2\\xa0")
    (True, False, False, False)
    """
    if not len(arr):
        return True
    end = len(arr) - 1
    edges = (first, last, np.minimum(delimiters + 1, end), np.maximum(delimiters - 1, 0))
    return not any(_MAY_PAD[arr[at]].any() for at in edges)


def _stripped(values: pd.Series) -> pd.Series:
    """``values`` as stripped text (object dtype), stripping each distinct value once."""
    return pd.Series(
        _stripped_array(values.to_numpy(dtype=object)), index=values.index, dtype=object
    )


def _stripped_array(values: np.ndarray) -> np.ndarray:
    """Text values stripped (object array), each distinct value once."""
    codes, uniques = pd.factorize(values)
    clean = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return clean[codes]


def _text_and_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text and its floats (NaN where not a number), parsed in C; text stripped where not a number.

    Only the values that do not parse as they stand (empty, padded or bad
    ones: a few per file) are stripped and parsed again in Python.
    """
    text = np.asarray(values, dtype=object)
    numbers = np.full(len(text), np.nan)
    given = text != ""
    try:  # the usual case: every given value is a plain number
        if given.all():
            numbers = text.astype(float)
        else:
            numbers[given] = text[given].astype(float)
    except (TypeError, ValueError):
        numbers = np.asarray(pd.to_numeric(text, errors="coerce"), dtype=float)
    failed = np.flatnonzero(np.isnan(numbers))
    if len(failed):
        text = text.copy()
        text[failed] = [str(v).strip() for v in text[failed]]
        numbers[failed] = pd.to_numeric(text[failed], errors="coerce")
    return text, numbers


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every field is empty (trailing ',,,,' lines in exports)."""
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        blank &= frame[col].to_numpy(dtype=object) == ""
        if not blank.any():
            break
    return blank


def _read_quoted(text: str, delimiter: str, name: str) -> tuple:
    """The careful reader: the csv module, record by record, faults kept as rejects."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    good: list[list[str]] = []
    good_lines: list[int] = []
    bad: list[tuple[int, list[str], str]] = []
    try:
        header = next(reader, [])
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)
        if not header:
            raise InputFileError(name, "is empty", "a CSV file with a header row")
        columns = _unique_names(header)
        n = len(columns)
        end = reader.line_num
        for record in reader:
            start, end = end + 1, reader.line_num
            if len(record) == n:
                good.append(record)
                good_lines.append(start)
            elif any(f.strip() for f in record):
                bad.append((start, record, f"{len(record)} fields where the header has {n}"))
    except csv.Error as exc:
        raise InputFileError(
            name, f"is not a valid CSV ({exc}, near line {reader.line_num})"
        ) from None
    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
    if bad and (not good_lines or bad[-1][0] > good_lines[-1]):  # the last row is a fault
        start, record, why = bad[-1]
        if "\n".join(text.split("\n")[start - 1 : last_line]).count('"') % 2:
            why = (f"a quote opened on line {start} is never closed: lines {start}-{last_line} "
                   "were read as one row")  # fmt: skip
        elif len(record) < n and not text.endswith(("\n", "\r")):
            why = f"{CUT_SHORT} ({len(record)} of {n} fields; a truncated file?)"
        bad[-1] = (start, record, why)
    for i, (start, record, why) in enumerate(bad):
        if why.startswith(f"{len(record)} fields") and len(record) > n:
            name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
            bad[i] = (start, record, f"{why}: an unquoted {name} in a value?")
    frame = (
        pd.DataFrame(good, columns=columns, dtype=object)
        if good
        else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    )
    frame = frame.astype(str) if len(frame) else frame
    lines = np.asarray(good_lines, dtype=np.int64)
    blank = _blank_rows(frame)
    return (frame.loc[~blank].reset_index(drop=True), lines[~blank],
            _fault_frame(columns, bad, delimiter))  # fmt: skip


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def _drop_repeated_headers(frame: pd.DataFrame, lines: np.ndarray) -> tuple:
    """Take rows that repeat the header (files joined by hand) out as faults."""
    columns = list(frame.columns)
    if not len(frame) or not columns:
        return frame, lines, _fault_frame(columns, [])
    same = frame[columns[0]].to_numpy(dtype=object) == columns[0]  # exact: cheap on big files
    for col in columns[1:]:
        if not same.any():
            break
        same = same & (_stripped(frame[col]) == col).to_numpy()
    if not same.any():
        return frame, lines, _fault_frame(columns, [])
    records = [(int(ln), list(row), "a repeated header row") for ln, row in
               zip(lines[same], frame.loc[same].itertuples(index=False))]  # fmt: skip
    return frame.loc[~same].reset_index(drop=True), lines[~same], _fault_frame(columns, records)
