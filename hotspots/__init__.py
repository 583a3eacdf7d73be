"""hotspots: anti-social behaviour hotspot maps for community safety teams.

The analysis is a library of small functions over GeoDataFrames, one module
per stage:

- :mod:`hotspots.read.incidents`  read and validate police.uk and council incident tables
- :mod:`hotspots.read.geocode`    coordinates, British National Grid, postcode look-up
- :mod:`hotspots.analysis.seasons`    seasons, financial years, Halloween flag, monthly profile
- :mod:`hotspots.analysis.wards`      ward join, study area, the council's ward table
- :mod:`hotspots.read.places`     town centre and district centres (focus areas)
- :mod:`hotspots.analysis.cluster`    DBSCAN in metres, cluster summaries and hulls
- :mod:`hotspots.analysis.hotspots`   the stages joined up for the CLI, web app and reports
- :mod:`hotspots.io`         atomic writers for GeoJSON, GeoPackage and CSV
"""

__version__ = "0.1.0"
