"""Cartography: the one style, basemaps, the web map (folium) and static maps (matplotlib), charts."""
