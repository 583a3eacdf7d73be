"""hotspots: anti-social behaviour hotspot maps for community safety teams.

The analysis is a library of small functions over GeoDataFrames, one module
per stage:

- :mod:`hotspots.incidents`  read and validate police.uk and council incident tables
- :mod:`hotspots.geocode`    coordinates, British National Grid, postcode look-up
- :mod:`hotspots.seasons`    seasons, financial years, Halloween flag, monthly profile
- :mod:`hotspots.wards`      ward join, study area, the council's ward table
- :mod:`hotspots.places`     town centre and district centres (focus areas)
- :mod:`hotspots.cluster`    DBSCAN in metres, cluster summaries and hulls
- :mod:`hotspots.pipeline`   the stages joined up for the CLI, web app and reports
- :mod:`hotspots.io`         atomic writers for GeoJSON, GeoPackage and CSV
"""

__version__ = "0.1.0"
