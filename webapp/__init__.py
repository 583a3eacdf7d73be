"""The hotspots web app (Flask). See issue 3."""
