"""Seasons, financial years and the Halloween flag, for month-only and dated rows."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from hotspots._errors import HotspotsError
from hotspots.analysis.seasons import (
    add_season_columns,
    covered_months,
    financial_year_of,
    monthly_profile,
    months_without_data,
    parse_financial_year,
    select_period,
)


def _table(dates, precision):
    return gpd.GeoDataFrame(
        {"date": pd.to_datetime(dates), "date_precision": precision}, geometry=[None] * len(dates)
    )


def test_season_and_year_labels():
    t = add_season_columns(
        _table(["2018-11-30", "2018-12-01", "2019-02-28", "2019-03-01", "2019-04-01"], "day")
    )
    assert t["season"].tolist() == ["autumn", "winter", "winter", "spring", "spring"]
    assert t["season_label"].tolist() == [
        "autumn 2018", "winter 2019", "winter 2019", "spring 2019", "spring 2019",
    ]  # fmt: skip
    assert t["financial_year"].tolist() == ["2018-19"] * 4 + ["2019-20"]


def test_financial_year_edges():
    assert financial_year_of(2018, 3) == "2017-18"
    assert financial_year_of(2018, 4) == "2018-19"
    assert financial_year_of(1999, 4) == "1999-00"
    assert parse_financial_year("1999-00") == 1999
    for bad in ("2018-20", "2018/19", "18-19", ""):
        with pytest.raises(HotspotsError, match="must look like '2018-19'"):
            parse_financial_year(bad)


def test_halloween_flag_for_dated_and_month_only_rows():
    dated = add_season_columns(
        _table(["2018-10-19", "2018-10-20", "2018-10-31", "2018-11-05", "2018-11-06"], "day")
    )
    assert dated["halloween"].tolist() == [False, True, True, True, False]
    monthly = add_season_columns(_table(["2018-10-01", "2018-11-01"], "month"))
    assert monthly["halloween"].tolist() == [True, False]  # police.uk: all of October


def test_weekday_and_hour_only_where_known():
    t = add_season_columns(
        _table(
            ["2018-10-31 21:15", "2018-10-31 00:00", "2018-10-01 00:00"],
            ["datetime", "day", "month"],
        )
    )
    assert t["weekday"].tolist()[:2] == ["Wednesday", "Wednesday"]
    assert t["weekday"].isna().tolist() == [False, False, True]
    assert t["hour"].tolist()[0] == 21 and t["hour"].isna().tolist() == [False, True, True]


def test_select_period_and_its_errors():
    t = add_season_columns(_table(["2018-07-10", "2018-10-10", "2019-07-10"], "day"))
    assert len(select_period(t, season="summer")) == 2
    assert len(select_period(t, season="summer", financial_year="2018-19")) == 1
    assert len(select_period(t, season="all")) == 3
    with pytest.raises(HotspotsError, match="season must be one of"):
        select_period(t, season="monsoon")


def test_monthly_profile_runs_april_to_march(tmp_path):
    t = add_season_columns(_table(["2018-04-02", "2018-07-01", "2018-07-02", "2019-03-01"], "day"))
    profile = monthly_profile(t)
    assert profile.index.tolist()[:4] == ["Apr", "May", "Jun", "Jul"]
    assert profile.index.tolist()[-1] == "Mar"
    assert profile.loc["Jul", "2018-19"] == 2 and profile["2018-19"].sum() == 4


def test_monthly_profile_says_no_data_for_months_not_covered_and_0_for_covered_empty_months():
    # the data hold Oct 2018 to Jan 2019; incidents in Oct, Nov and Jan only
    t = add_season_columns(_table(["2018-10-02", "2018-10-09", "2018-11-01", "2019-01-05"], "day"))
    profile = monthly_profile(t, months_covered=["2018-10", "2018-11", "2018-12", "2019-01"])
    col = profile["2018-19"]
    assert col.loc[["Oct", "Nov", "Dec", "Jan"]].tolist() == [2, 1, 0, 1]  # Dec: covered, none
    missing = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Feb", "Mar"]
    assert col.loc[missing].isna().all()
    assert months_without_data(profile) == {"2018-19": "Apr–Sep, Feb–Mar"}
    # a year the data cover but the selection has no incident in: 0s, not missing
    none = monthly_profile(t.iloc[:0], months_covered=["2018-10", "2018-11"])
    assert none["2018-19"].loc[["Oct", "Nov"]].tolist() == [0, 0]
    assert none["2018-19"].drop(["Oct", "Nov"]).isna().all()
    # without coverage, every month is counted as before (0 where none), and nothing is missing
    assert months_without_data(monthly_profile(t)) == {}
    assert covered_months(t) == ["2018-10", "2018-11", "2019-01"]


def test_demo_peaks_in_july_and_october():
    from boundaries import get_path, load_wards
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents

    p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    profile = monthly_profile(p.incidents)
    for fy in profile.columns:
        top_two = set(profile[fy].nlargest(2).index)
        assert top_two == {"Jul", "Oct"}, profile[fy]
        spring = profile.loc[["Mar", "Apr", "May"], fy].mean()
        assert spring < profile.loc["Jul", fy] * 0.75


def test_trend_compares_the_months_both_years_hold(demo):
    from dataclasses import replace

    from hotspots.analysis.trend import change_vs_previous, hotspots_with_trend

    inc = demo.incidents
    # As if the data began in November 2017: autumn 2017-18 holds November only.
    part = replace(demo, incidents=inc[~inc["month"].isin(["2017-09", "2017-10"])])
    whole = hotspots_with_trend(demo, season="autumn", financial_year="2018-19")
    found = hotspots_with_trend(part, season="autumn", financial_year="2018-19")
    assert whole.attrs["compared_with"] == "autumn 2017-18" and whole.attrs["months_note"] is None
    assert found.attrs["compared_with"] == "autumn 2017-18, Nov only (the months both hold)"
    assert found.attrs["months_note"] == (
        "autumn 2018-19 holds Sep–Nov and autumn 2017-18 holds Nov: compared on Nov only"
    )
    assert found["incidents"].tolist() == whole["incidents"].tolist()
    nov = inc[inc["month"] == "2018-11"]
    now = change_vs_previous(found, nov)["previous"]  # November 2018 in each outline
    assert (found["change"] == now - found["previous"]).all()
    assert (found["previous"] < whole["previous"]).any()


def _old_string_columns(incidents) -> pd.DataFrame:
    """The season columns as they were built before, one Python string per row."""
    from hotspots.analysis.seasons import season_of

    date = pd.DatetimeIndex(incidents["date"])
    month, year = date.month.to_numpy(), date.year.to_numpy()
    season = [season_of(int(m)) for m in month]
    season_year = [y + 1 if m == 12 else y for y, m in zip(year, month)]
    return pd.DataFrame({
        "month": [f"{y}-{m:02d}" for y, m in zip(year, month)],
        "season": season,
        "season_label": [f"{s} {y}" for s, y in zip(season, season_year)],
        "financial_year": [financial_year_of(int(y), int(m)) for y, m in zip(year, month)],
    })  # fmt: skip


def test_categorical_season_columns_equal_the_old_strings_on_the_real_months(shared_data):
    from hotspots.read.incidents import read_incidents
    from tests.conftest import POLICE

    load = read_incidents(sorted(POLICE.glob("*.csv")), crime_types=None)
    out = add_season_columns(load.incidents)
    old = _old_string_columns(load.incidents)
    assert set(old["season"]) == {"autumn", "winter"} and old["financial_year"].nunique() == 1
    for column in old.columns:
        values = out[column]
        assert isinstance(values.dtype, pd.CategoricalDtype), column
        assert values.cat.categories.tolist() == sorted(set(old[column])), column
        assert values.astype(object).tolist() == old[column].tolist(), column
        # selecting by a label compares codes, with the same rows as comparing text
        label = old[column].iloc[-1]
        assert (select_period(out, season=label) if column == "season" else
                out[out[column] == label]).index.equals(old.index[old[column] == label])  # fmt: skip
    # the input is not changed
    assert not isinstance(load.incidents["month"].dtype, pd.CategoricalDtype)
    assert "season" not in load.incidents.columns and len(out) == len(load.incidents)


def test_season_columns_of_a_subset_equal_those_read_back(demo):
    """A store gives the columns back as text or with every stored category: ``as_added`` types
    them as ``add_season_columns`` does on the same rows."""
    from hotspots.analysis.seasons import CATEGORICAL_COLUMNS, as_added

    inc = demo.incidents
    part = inc[inc["financial_year"] == "2018-19"].reset_index(drop=True)
    assert 0 < len(part) < len(inc)
    fresh = add_season_columns(part.drop(columns=list(CATEGORICAL_COLUMNS)))
    as_text = part.astype(dict.fromkeys(CATEGORICAL_COLUMNS, object))
    for back in (as_added(part), as_added(as_text)):
        for column in CATEGORICAL_COLUMNS:
            pd.testing.assert_series_equal(back[column], fresh[column])
    assert part["financial_year"].cat.categories.tolist() != ["2018-19"]  # unused ones were there


def test_select_incidents_by_codes_equals_by_text(demo):
    from hotspots.analysis.prepare import select_incidents

    inc = demo.incidents
    text = inc.astype(dict.fromkeys(("season", "financial_year", "month", "ward", "area"), object))
    for sel in (
        {"season": "autumn", "financial_year": "2018-19"},
        {"ward": "Abbey"},
        {"area": "Town centre", "season": "summer"},
        {"financial_year": "2031-32"},
    ):
        a, b = select_incidents(inc, **sel), select_incidents(text, **sel)
        assert a.index.equals(b.index), sel
        for column in ("season", "financial_year", "month"):  # counts list what text would
            assert a[column].value_counts().to_dict() == b[column].value_counts().to_dict()
    assert len(select_incidents(inc, season="autumn", financial_year="2018-19")) > 0
