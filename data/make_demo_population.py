"""Write data/demo/population.csv: demo ward populations in the ONS mid-year estimate layout.

The figures are made by the project (deterministic; nothing copied): each
demo ward gets a round number between 6,000 and 9,000 residents, about the
size of a Redditch ward. They exist so the demo can show rates per 1,000
residents and exercise the ONS layout detection (hotspots.analysis.population).

    python data/make_demo_population.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARDS = HERE / "demo" / "wards.geojson"
OUT = HERE / "demo" / "population.csv"


def build(out: Path = OUT) -> Path:
    """Write the demo population table and return its path."""
    features = json.loads(WARDS.read_text(encoding="utf-8"))["features"]
    wards = sorted((f["properties"]["ward_code"], f["properties"]["ward_name"]) for f in features)
    rows = [
        ["Demo mid-year population estimates (made by the hotspots project; not official figures)"],
        [],
        ["Ward Code", "Ward Name", "LA Code", "LA name", "All Ages"],
    ]
    for i, (code, name) in enumerate(wards):
        total = 6000 + (i * 1237) % 3000  # a fixed spread, 6,000 to 8,999, rounded below
        rows.append([code, name, "DEMO", "Demo borough", f"{round(total, -1):,}"])
    with out.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return out


if __name__ == "__main__":
    print(f"wrote {build()}")
