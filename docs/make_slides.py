"""Make the two slide pictures the README shows, from the real North Worcestershire data.

    .venv/bin/python docs/make_slides.py [--data ../shared/data]

Builds the panel deck with ``hotspots report`` (five West Mercia police.uk months;
the wards of Bromsgrove, Redditch and Wyre Forest), renders its PDF with
pypdfium2 and writes two slides as small PNGs beside this script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Slide title -> picture file.
PICTURES = {"Ward patterns: Bromsgrove": "slide-wards.png", "Where? Redditch": "slide-where.png"}
WIDTH_PX = 960


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    import pypdfium2 as pdfium
    from click.testing import CliRunner

    from hotspots.cli import main as hotspots
    from hotspots.outputs.deck import TITLES

    police = sorted((args.data / "police-uk" / "west-mercia").glob("*.csv"))
    if not police:
        print(f"no police.uk files under {args.data}", file=sys.stderr)
        return 1
    cmd = ["report", *map(str, police), "--fy", "2018-19", "--dpi", "200"]
    for district in ("bromsgrove", "redditch", "wyre-forest"):
        cmd += ["--wards", str(args.data / "wards" / f"{district}.geojson")]
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "panel.pdf"
        result = CliRunner().invoke(hotspots, [*cmd, "-o", str(pdf)])
        if result.exit_code:
            print(result.output, file=sys.stderr)
            return 1
        titles = [line.split(". ", 1)[1] for line in result.output.splitlines()
                  if line.startswith("  ") and ". " in line]  # fmt: skip
        assert titles[-1] == TITLES["limits"], titles
        doc = pdfium.PdfDocument(str(pdf))
        for title, name in PICTURES.items():
            page = doc[titles.index(title)]
            image = page.render(scale=WIDTH_PX / page.get_width()).to_pil()
            image = image.convert("RGB").quantize(colors=256)
            image.save(HERE / name, optimize=True)
            print(f"{HERE / name}: {title} ({(HERE / name).stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
