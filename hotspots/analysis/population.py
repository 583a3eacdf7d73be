"""Ward populations and rates per 1,000 residents.

Two CSV layouts are read, and told apart by their columns:

* **ONS mid-year estimates** (the "Ward-level population estimates" release,
  saved as CSV from its spreadsheet): a few title lines, then a header row
  with a ward code column (``Ward Code``, ``Ward Code 2022``, ``WD18CD`` ...),
  a ward name column, local authority columns and an all-ages total
  (``All Ages``, ``Total``, ``All ages``), then one row per ward of England
  and Wales, numbers perhaps written ``6,123``. Wards are matched to the
  boundaries by code (rows for other places are ignored), falling back to
  the name where codes differ.
* **A plain table** ``ward,population``, one row per ward of the boundaries,
  matched by name ("&" = "and", case ignored).

Wards the table does not give keep a missing population and a missing rate:
maps and tables then say nothing for them.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import InputFileError
from hotspots.analysis.wards import match_ward_names

log = logging.getLogger(__name__)

_CODE_RE = re.compile(r"^(ward\s*code|wd\d{2}cd)", re.I)
_NAME_RE = re.compile(r"^(ward\s*name|wd\d{2}nm)", re.I)
_TOTAL_RE = re.compile(r"^(all\s*ages|total|persons|all\s*persons|population)\b", re.I)


def _header_row(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:30]):
        cells = [c.strip() for c in row]
        if any(_CODE_RE.match(c) for c in cells) and any(_TOTAL_RE.match(c) for c in cells):
            return i
    return None


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype(str).str.replace(",", "").str.strip(), errors="coerce")


def read_population(path: str | Path, wards: gpd.GeoDataFrame) -> pd.Series:
    """Read ward populations (ONS mid-year estimate layout or ``ward,population``).

    Parameters
    ----------
    path : str or Path
        The CSV.
    wards : geopandas.GeoDataFrame
        The boundaries (``ward_code``, ``ward_name``).

    Returns
    -------
    pandas.Series
        Residents indexed by the boundaries' ward names (only wards found);
        ``attrs["layout"]`` is ``"ons"`` or ``"plain"``.

    Raises
    ------
    InputFileError
        Neither layout; a plain table naming unknown wards; populations that
        are missing or not positive; an ONS table with none of the wards.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> w = gpd.GeoDataFrame({"ward_code": ["E05007860", "E05007861"],
    ...                       "ward_name": ["Abbey", "Batchley & Brockhill"]}, geometry=[None, None])
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pop.csv"
    >>> _ = p.write_text("Mid-2018 ward population estimates\\n\\n"
    ...     "Ward Code,Ward Name,LA Code,LA name,All Ages,0,1\\n"
    ...     "E05007860,Abbey,E07000236,Redditch,\\"6,512\\",80,75\\n"
    ...     "E05009999,Elsewhere,E07000001,Other,4000,50,50\\n")
    >>> pop = read_population(p, w)
    >>> pop.to_dict(), pop.attrs["layout"]
    ({'Abbey': 6512.0}, 'ons')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = _header_row(rows)
    if header is not None:
        return _read_ons(path, rows, header, wards)
    return _read_plain(path, text, wards)


def _read_ons(path: Path, rows: list[list[str]], header: int, wards: gpd.GeoDataFrame) -> pd.Series:
    names = [c.strip() for c in rows[header]]
    body = [
        r + [""] * (len(names) - len(r)) for r in rows[header + 1 :] if any(c.strip() for c in r)
    ]
    table = pd.DataFrame([r[: len(names)] for r in body], columns=names)
    code_col = next(c for c in names if _CODE_RE.match(c))
    total_col = next(c for c in names if _TOTAL_RE.match(c))
    name_col = next((c for c in names if _NAME_RE.match(c)), None)
    values = _numbers(table[total_col])
    keep = (table[code_col].str.strip() != "") & values.notna()  # drops notes and blank lines
    table, values = table[keep], values[keep]
    by_code = pd.Series(values.to_numpy(), index=table[code_col].str.strip().to_numpy())
    codes = wards["ward_code"].astype(str).str.strip()
    pop = pd.Series(codes.map(by_code).to_numpy(), index=wards["ward_name"].to_numpy(), dtype=float)
    if name_col is not None and pop.isna().any():  # codes changed between releases: try names
        missing = list(pop.index[pop.isna()])
        by_name = pd.Series(values.to_numpy(), index=table[name_col].str.strip().to_numpy())
        by_name = by_name[~by_name.index.duplicated(keep=False)]
        matched = match_ward_names(list(by_name.index), wards)
        for source, target in matched.items():
            if target in missing:
                pop[target] = by_name[source]
    pop = pop.dropna()
    if pop.empty:
        raise InputFileError(
            path, f"is an ONS population table ({code_col!r}, {total_col!r}) but holds none of "
            f"the wards {sorted(wards['ward_name'])!r}", "the release covering these wards",
        )  # fmt: skip
    if (pop <= 0).any():
        raise InputFileError(path, "has a population that is not positive", "numbers > 0")
    absent = sorted(set(wards["ward_name"]) - set(pop.index))
    if absent:
        log.warning("%s: no population for ward(s) %s; their rates stay blank", path, absent)
    pop.name = "population"
    pop.attrs["layout"] = "ons"
    return pop


def _read_plain(path: Path, text: str, wards: gpd.GeoDataFrame) -> pd.Series:
    expected = (
        "columns ward,population, or the ONS mid-year estimate layout (Ward Code ... All Ages)"
    )
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(path, f"cannot be read as CSV ({exc})", expected) from None
    cols = {c.strip().lower(): c for c in table.columns}
    if "ward" not in cols or "population" not in cols:
        raise InputFileError(path, f"has columns {list(table.columns)!r}", expected)
    names = table[cols["ward"]].astype(str).str.strip().tolist()
    matched = match_ward_names(names, wards)
    unknown = [n for n, m in matched.items() if m is None]
    if unknown:
        raise InputFileError(
            path, f"names wards not in the boundaries: {unknown!r}",
            f"names from {sorted(wards['ward_name'])!r}",
        )  # fmt: skip
    values = _numbers(table[cols["population"]])
    if values.isna().any() or (values <= 0).any():
        raise InputFileError(
            path, "has a population that is missing or not positive", "numbers > 0"
        )
    pop = pd.Series(
        values.to_numpy(dtype=float), index=[matched[n] for n in names], name="population"
    )
    pop.attrs["layout"] = "plain"
    return pop


def rate_per_1000(counts: pd.Series | np.ndarray, population: pd.Series | np.ndarray) -> np.ndarray:
    """Incidents per 1,000 residents, to 2 decimals; NaN where the population is unknown or 0.

    Examples
    --------
    >>> rate_per_1000(np.array([12, 5, 3]), np.array([4000, np.nan, 0])).tolist()
    [3.0, nan, nan]
    """
    counts = np.asarray(counts, dtype=float)
    pop = np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(pop > 0, 1000.0 * counts / pop, np.nan)
    return np.round(rate, 2)


def add_rates(
    table: pd.DataFrame, population: pd.Series, *, ward_column: str = "ward"
) -> pd.DataFrame:
    """Add ``population`` and a ``rate <column>`` per count column to a ward table.

    Count columns are the financial-year columns of
    :func:`hotspots.analysis.wards.ward_table` (``2018-19`` ...); the ``Grand Total``
    row's population is the sum of the wards'.

    Examples
    --------
    >>> t = pd.DataFrame({"ward": ["Abbey", "West", "Grand Total"], "2018-19": [20, 6, 26]})
    >>> add_rates(t, pd.Series({"Abbey": 4000.0})).to_dict("list")
    {'ward': ['Abbey', 'West', 'Grand Total'], '2018-19': [20, 6, 26], 'population': [4000.0, nan, 4000.0], 'rate 2018-19': [5.0, nan, nan]}
    """
    out = table.copy()
    years = [c for c in out.columns if re.fullmatch(r"\d{4}-\d{2}", str(c))]
    pop = out[ward_column].map(population).astype(float)
    total = out[ward_column] == "Grand Total"
    pop[total] = population.reindex(out.loc[~total, ward_column]).sum(min_count=1)
    out["population"] = pop
    complete = pop.notna() & (~total | out.loc[~total, ward_column].isin(population.index).all())
    for year in years:
        out[f"rate {year}"] = np.where(complete, rate_per_1000(out[year], pop), np.nan)
    return out
