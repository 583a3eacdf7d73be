"""The words under every map and table: moved to :mod:`hotspots.analysis.notes`.

Kept so that ``from hotspots.draw.notes import ...`` still works: the results
layer (:mod:`hotspots.results`) gives each view its title and data note, and it
sits below ``draw``.
"""

from hotspots.analysis.notes import (
    DEMO_NOTE,
    data_note,
    is_demo,
    month_range,
    selection_title,
    slug,
)

__all__ = ["DEMO_NOTE", "data_note", "is_demo", "month_range", "selection_title", "slug"]
