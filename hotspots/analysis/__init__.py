"""The analysis: small pure functions over GeoDataFrames (seasons, wards, DBSCAN clusters, trend, grid, place patterns, the chance test, backtests, tuning)."""
