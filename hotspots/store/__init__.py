"""The persistent store: Store, its backends (GeoPackage, PostGIS), ingest planning and the column codec."""
