"""Reading incidents and the places they refer to: police.uk and council files, dates, geocoding, focus areas, streets, and fetching from the network (at the edge, cached)."""
