"""Read a column of dates with one format for the whole column.

Council exports write dates in many ways; a column is read with ONE format,
detected from all of its values (or forced with ``date_format``), never guessed
row by row:

* ``yyyy-mm-dd`` (ISO 8601, with ``T`` or a space before the time, ``Z`` or an
  offset such as ``+01:00`` after it) is always year-month-day.
* Slash, dot or dash dates (``31/10/2018``) are day first, as in the UK, unless
  the column can only be month first: some value has a "month" above 12 and
  none has a "day" above 12 (``04/22/2018``). Then the whole column is read
  month first and the note says so.
* ``31 Oct 2018`` (month names) is day first.
* Anything else: the format pandas infers from the first value, used for all.

A value that does not fit its column's format, or names an impossible date
(``31/02/2018``), gets a reason and its row is rejected. Times with a zone
(``Z``, ``GMT``, ``+01:00``) are converted to Europe/London local time, so the
season, financial year, weekday and hour are those of the clock in Redditch;
times without one are taken as local already. Mixed zones in one column are fine.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError

LOCAL_ZONE = "Europe/London"
NO_FORMAT = "no date format found"

_TIME = (
    r"(?:(?:[T ]|,\s*)\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"\s*(?P<P>[AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = r"\s*(?P<Z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
_FAMILIES = {
    "ymd": re.compile(r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME + _ZONE + "$"),
    "numeric": re.compile(r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})" + _TIME + _ZONE + "$"),
    "dmonthy": re.compile(
        r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?(?P<sep>[\s/-]+)(?P<mon>[A-Za-z]{3,9})\.?,?[\s/-]+(?P<y>\d{4}|\d{2})"
        + _TIME + _ZONE + "$"
    ),
}  # fmt: skip
_MONTHS = {
    name: i
    for i in range(1, 13)
    for name in (
        pd.Timestamp(2000, i, 1).strftime("%b").lower(),
        pd.Timestamp(2000, i, 1).strftime("%B").lower(),
    )
} | {"sept": 9}
# Words accepted by ``date_format`` besides a strftime pattern.
FORMAT_WORDS = {
    "iso": "ymd", "ymd": "ymd", "yyyy-mm-dd": "ymd",
    "dmy": "dmy", "uk": "dmy", "dd/mm/yyyy": "dmy",
    "mdy": "mdy", "us": "mdy", "mm/dd/yyyy": "mdy",
}  # fmt: skip


@dataclass(frozen=True)
class ParsedDates:
    """A date column read with one format.

    Attributes
    ----------
    dates : pandas.Series
        Naive datetimes in Europe/London local time (NaT where the row is rejected).
    precision : pandas.Series
        ``"datetime"`` where the value has a time, else ``"day"``.
    reason : numpy.ndarray
        ``""`` where the value was read, else why not.
    format : str
        The format used, in words (``"dd/mm/yyyy"``, ``"yyyy-mm-dd (ISO 8601)"``, ...).
    notes : tuple of str
        Things the user should know (month-first column, zones converted).
    """

    dates: pd.Series
    precision: pd.Series
    reason: np.ndarray
    format: str
    notes: tuple[str, ...] = ()


def check_date_format(date_format: str | None) -> str | None:
    """Check a ``date_format`` value; return it, or raise a :class:`HotspotsError` that teaches.

    Examples
    --------
    >>> check_date_format("dmy"), check_date_format("%d.%m.%Y")
    ('dmy', '%d.%m.%Y')
    """
    if date_format is None or date_format.strip().lower() in FORMAT_WORDS or "%" in date_format:
        return date_format
    raise HotspotsError(
        f"--date-format must be iso, dmy (dd/mm/yyyy), mdy (mm/dd/yyyy) or a strftime pattern "
        f"such as '%d/%m/%Y %H:%M'; got {date_format!r}"
    )


def parse_dates(
    values: pd.Series, *, date_format: str | None = None, column: str = "date"
) -> ParsedDates:
    """Read a column of date text with one format (detected, or ``date_format``).

    Parameters
    ----------
    values : pandas.Series of str
        The column's text ("" where empty).
    date_format : str, optional
        Force a format: ``"iso"``, ``"dmy"`` (UK ``dd/mm/yyyy``), ``"mdy"``
        (US ``mm/dd/yyyy``) or a strftime pattern (``"%d.%m.%Y %H:%M"``).
        Detected from the values when None.
    column : str, default "date"
        The column's name, for notes.

    Returns
    -------
    ParsedDates

    Raises
    ------
    HotspotsError
        If ``date_format`` is not one of the accepted forms.

    Examples
    --------
    >>> import pandas as pd
    >>> got = parse_dates(pd.Series(["04/22/2018", "04/07/2018 21:15", "2018-04-07"]))
    >>> got.format, got.dates.dt.strftime("%d %b").tolist()[:2], got.reason[2][:26]
    ('mm/dd/yyyy (month first)', ['22 Apr', '07 Apr'], "date '2018-04-07' does not")
    >>> parse_dates(pd.Series(["2018-10-31T21:15:00Z", "2018-06-30T23:30:00+00:00"])).dates.tolist()
    [Timestamp('2018-10-31 21:15:00'), Timestamp('2018-07-01 00:30:00')]
    """
    check_date_format(date_format)
    text = values.astype(str).str.strip().to_numpy(dtype=object)
    codes, uniques = pd.factorize(text)
    uniq = pd.Series(uniques, dtype=object)
    weights = np.bincount(codes, minlength=len(uniq)) if len(uniq) else np.zeros(0, int)
    nonempty = (uniq != "").to_numpy()
    word = FORMAT_WORDS.get((date_format or "").strip().lower())
    if date_format is not None and word is None:
        dates, timed, fits, desc, notes = _by_pattern(uniq, date_format)
    else:
        family, order = _choose(uniq, nonempty, weights, word)
        if family is None:
            dates, timed, fits, desc, notes = _by_guess(uniq, nonempty)
        else:
            dates, timed, fits, desc, notes = _by_family(uniq, family, order, column=column)
    reason = np.full(len(uniq), "", dtype=object)
    for i in np.flatnonzero(nonempty & ~fits):
        reason[i] = (
            f"date {uniq.iat[i]!r} does not fit the column's format ({desc})"
            if desc != NO_FORMAT
            else f"unparseable date {uniq.iat[i]!r}"
        )
    for i in np.flatnonzero(nonempty & fits & dates.isna().to_numpy()):
        reason[i] = f"impossible date {uniq.iat[i]!r} (read as {desc})"
    reason[~nonempty] = "missing date"
    dates = dates.where(reason == "")
    index = values.index
    return ParsedDates(
        dates=pd.Series(dates.to_numpy()[codes], index=index).astype("datetime64[us]"),
        precision=pd.Series(np.where(timed[codes], "datetime", "day"), index=index, dtype=object),
        reason=reason[codes] if len(codes) else np.zeros(0, dtype=object),
        format=desc,
        notes=tuple(notes),
    )


def _choose(
    uniq: pd.Series, nonempty: np.ndarray, weights: np.ndarray, word: str | None
) -> tuple[str | None, str]:
    """Pick the family that fits most rows, and for numeric dates the order."""
    if word == "ymd":
        return "ymd", "ymd"
    if word in ("dmy", "mdy"):
        return "numeric", word
    best, best_n = None, 0
    for family, pattern in _FAMILIES.items():
        n = int(weights[uniq.str.match(pattern).to_numpy() & nonempty].sum())
        if n > best_n:
            best, best_n = family, n
    if best != "numeric":
        return best, "dmy"
    parts = uniq.str.extract(_FAMILIES["numeric"])
    a = pd.to_numeric(parts["a"], errors="coerce")
    b = pd.to_numeric(parts["b"], errors="coerce")
    day_first_only = ((a > 12) & (b <= 12)).any()
    month_first_only = ((b > 12) & (a <= 12)).any()
    return "numeric", "mdy" if month_first_only and not day_first_only else "dmy"


def _by_family(
    uniq: pd.Series, family: str, order: str, *, column: str
) -> tuple[pd.Series, np.ndarray, np.ndarray, str, list[str]]:
    parts = uniq.str.extract(_FAMILIES[family])
    fits = parts["y"].notna().to_numpy()
    sep = parts["sep"].dropna().mode()
    sep = sep.iat[0] if len(sep) else "/"
    year = pd.to_numeric(parts["y"], errors="coerce")
    year = year.where(year >= 100, np.where(year < 70, 2000 + year, 1900 + year))
    if family == "numeric":
        a = pd.to_numeric(parts["a"], errors="coerce")
        b = pd.to_numeric(parts["b"], errors="coerce")
        day, month = (a, b) if order == "dmy" else (b, a)
        fits = fits & (month <= 12).to_numpy()  # 04/22/2018 is not dd/mm/yyyy
        desc = f"dd{sep}mm{sep}yyyy" if order == "dmy" else f"mm{sep}dd{sep}yyyy (month first)"
    elif family == "ymd":
        day, month = (
            pd.to_numeric(parts["d"], errors="coerce"),
            pd.to_numeric(parts["m"], errors="coerce"),
        )
        desc = "yyyy-mm-dd (ISO 8601)" if sep == "-" else f"yyyy{sep}mm{sep}dd"
    else:
        day = pd.to_numeric(parts["d"], errors="coerce")
        month = parts["mon"].str.lower().map(_MONTHS)
        fits = fits & month.notna().to_numpy()
        desc = "dd Mon yyyy"
    hour = pd.to_numeric(parts["H"], errors="coerce").fillna(0)
    meridiem = parts["P"].fillna("").str[:1].str.lower()
    twelve = (meridiem != "").to_numpy()
    hour = hour.where(~twelve, (hour % 12) + np.where(meridiem == "p", 12, 0))
    hour = hour.where(~(twelve & ~pd.to_numeric(parts["H"], errors="coerce").between(1, 12)), 99)
    frac = parts["F"].fillna("0").str.ljust(6, "0").str[:6]
    stamp = pd.to_datetime(
        {
            "year": year.where(fits), "month": month.where(fits), "day": day.where(fits),
            "hour": hour, "minute": pd.to_numeric(parts["M"], errors="coerce").fillna(0),
            "second": pd.to_numeric(parts["S"], errors="coerce").fillna(0),
            "us": pd.to_numeric(frac, errors="coerce").fillna(0),
        },
        errors="coerce",
    )  # fmt: skip
    stamp, notes = _to_local(stamp, parts["Z"], column=column)
    if family == "numeric" and order == "mdy":
        notes.insert(0, f"dates in column {column!r} read month first (mm{sep}dd{sep}yyyy): "
                        "some cannot be day first; pass --date-format dmy if that is wrong")  # fmt: skip
    return stamp, parts["H"].notna().to_numpy(), fits, desc, notes


def _to_local(stamp: pd.Series, zone: pd.Series, *, column: str) -> tuple[pd.Series, list[str]]:
    """Convert the stamps that carry a zone to Europe/London local time."""
    zoned = zone.notna().to_numpy()
    if not zoned.any():
        return stamp, []
    z = zone.fillna("").str.upper()
    sign = np.where(z.str.startswith("-"), -1, 1)
    digits = z.str.replace(r"[^0-9]", "", regex=True)
    hours = pd.to_numeric(digits.str[:2], errors="coerce").fillna(0)
    minutes = pd.to_numeric(digits.str[2:4], errors="coerce").fillna(0)
    offset = pd.to_timedelta(sign * (hours * 60 + minutes), unit="min")
    utc = (stamp - offset).dt.tz_localize("UTC")
    local = utc.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
    out = stamp.where(~zoned, local)
    note = (
        f"times with a zone (Z or an offset) in column {column!r} were converted to UK "
        f"time ({LOCAL_ZONE})"
    )
    return out, [note]


def _by_pattern(
    uniq: pd.Series, pattern: str
) -> tuple[pd.Series, np.ndarray, np.ndarray, str, list[str]]:
    """Read with a strftime pattern the user gave."""
    zoned = "%z" in pattern or "%Z" in pattern
    stamp = pd.to_datetime(uniq, format=pattern, errors="coerce", utc=zoned)
    if zoned:
        stamp = stamp.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
    fits = stamp.notna().to_numpy()
    timed = np.full(len(uniq), any(c in pattern for c in ("%H", "%I", "%M")))
    return stamp, timed, fits, pattern, []


def _by_guess(
    uniq: pd.Series, nonempty: np.ndarray
) -> tuple[pd.Series, np.ndarray, np.ndarray, str, list[str]]:
    """No known family fits: use the format pandas infers from the first value, for all."""
    from pandas.tseries.api import guess_datetime_format

    first = next((v for v, ok in zip(uniq, nonempty) if ok), None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guessed = guess_datetime_format(first, dayfirst=True) if first else None
    if guessed is None:
        none = np.zeros(len(uniq), dtype=bool)
        return (
            pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[us]"),
            none,
            none,
            NO_FORMAT,
            [],
        )
    return _by_pattern(uniq, guessed)
