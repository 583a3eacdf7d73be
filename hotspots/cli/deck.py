"""``hotspots report``: the scrutiny panel's ASB deck (PowerPoint or PDF) in one command."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from hotspots.cli._common import (
    Inputs,
    cluster_params,
    dbscan_options,
    input_options,
    load_prepared,
)

#: --column roles taken by the report itself (qualifiers), not by the loader.
QUALIFIER_ROLES = ("youth", "drugs", "alcohol", "qualifiers")


def _wards_many(func):
    """The shared input options, with --wards taking several files (one per district)."""
    func = input_options(func)
    for i, param in enumerate(func.__click_params__):
        if param.name == "wards_path":
            func.__click_params__[i] = click.Option(
                ["--wards", "wards_paths"], type=click.Path(path_type=Path), multiple=True,
                help="Ward boundaries (GeoJSON, shapefile or GeoPackage). Repeat for each "
                     "district of a partnership (the district is the file's name, "
                     "wyre-forest.geojson -> Wyre Forest, or its LADyyNM/district column): "
                     "the deck then gets ward tables and maps per district and the district "
                     "slide. Default with no INPUT: the demo wards.",
            )  # fmt: skip
    return func


def _split_columns(column_map: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
    loader, qualifiers = [], {}
    for item in column_map:
        role, sep, name = item.partition("=")
        if sep and role.strip() in QUALIFIER_ROLES:
            qualifiers[role.strip()] = name.strip()
        else:
            loader.append(item)
    return tuple(loader), qualifiers


@click.command()
@_wards_many
@click.option(
    "--fy",
    "financial_year",
    required=True,
    metavar="YYYY-YY",
    help="The panel's financial year (April-March), e.g. 2018-19.",
)
@click.option(
    "--compare",
    metavar="YYYY-YY",
    help="The year to compare with [default: the year before, when the data has it; "
    "with no data for it the slides say so and compare nothing].",
)
@click.option(
    "--title",
    help="The area's name on the title slide [default: the districts' names, from the ward files].",
)
@dbscan_options(params=False)
@click.option(
    "--dpi",
    type=int,
    default=300,
    show_default=True,
    help="Resolution of the charts and maps (300 for print).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The deck: .pptx (PowerPoint; tables are editable tables, charts native "
                   "charts with their numbers) or .pdf (the same slides).")  # fmt: skip
def report(output: Path, **kwargs) -> None:
    """Write the scrutiny panel's ASB deck: PowerPoint (editable) or PDF.

    \b
    Slides, in order:
      title (area, period, data sources)
      Incident types      council categories: each year, mean and mean %, a
                          bar chart; qualifiers (youth, drugs, alcohol) where
                          recorded, on a slide of their own
      Seasonal patterns   monthly, April-March, one line per financial year
                          in the data (colour, marker and dash differ);
                          peak month and share; Halloween / half-term marked
      Ward patterns       ward, year before, year, difference, percentage
      Where?              hotspot map and the largest hotspots
      District data       with several --wards files: each district and the
                          partnership total
      licence and limits

    Every sentence states counts, shares, rises and falls taken from the
    tables, and every share names its months. Part years (data not
    covering April-March) are said so. police.uk ASB has one category: the
    Incident types slide shows it by year and says how a council export adds
    the types.

    \b
    Several years (the panel's five seasonal lines): put them in a store,
      hotspots fetch police-uk --force west-mercia --from 2014-04 --to 2018-09 \\
        --wards W -o police-uk
      hotspots ingest police-uk INPUT... --wards W --store panel.gpkg
      hotspots report --store panel.gpkg --fy 2018-19 -o panel.pptx
    (or give every year's files as INPUT).

    Qualifier columns of council exports are detected (Youth, Drugs, Alcohol
    flags, or a Qualifiers/Flags column listing them); name them with
    --column youth=COL, --column drugs=COL, --column alcohol=COL or
    --column qualifiers=COL.

    \b
    Example (North Worcestershire: three districts, one part year):
      hotspots report ../shared/data/police-uk/west-mercia/*.csv \\
        --wards ../shared/data/wards/bromsgrove.geojson \\
        --wards ../shared/data/wards/redditch.geojson \\
        --wards ../shared/data/wards/wyre-forest.geojson --fy 2018-19 -o panel.pptx
    """
    from hotspots._errors import HotspotsError
    from hotspots.analysis.notes import is_demo
    from hotspots.loader import load_streets
    from hotspots.outputs._slides import DECK_FORMATS, write_deck
    from hotspots.outputs.deck import build_deck
    from hotspots.read.districts import read_district_wards
    from hotspots.read.qualifiers import read_qualifiers

    if output.suffix.lower() not in DECK_FORMATS:
        raise HotspotsError(
            f"-o {str(output)!r}: the deck is written as .pptx (PowerPoint, editable) or .pdf"
        )
    column_map, qualifier_columns = _split_columns(kwargs.pop("column_map"))
    wards_paths = kwargs.pop("wards_paths")
    kwargs["column_map"] = column_map
    area_name = None
    with tempfile.TemporaryDirectory(prefix="hotspots-report-") as tmp:
        districts = None
        wards_path = wards_paths[0] if wards_paths else None
        if wards_paths:
            combined = read_district_wards(wards_paths)
            if combined["district"].nunique() > 1:
                districts = combined.set_index("ward_name")["district"]
            else:
                area_name = str(combined["district"].iloc[0])
            if len(wards_paths) > 1:
                # The shared loader reads one ward file: give it the districts' wards as one.
                wards_path = Path(tmp) / "wards.gpkg"
                combined.to_file(wards_path, driver="GPKG")
        kwargs["wards_path"] = wards_path
        opts = Inputs.pop(kwargs)
        prepared = load_prepared(opts, output=output)
    demo = is_demo(prepared)
    qualifiers = read_qualifiers(prepared.load.files, columns=qualifier_columns or None)
    title = kwargs["title"] or ("the demo borough" if demo else area_name)
    params = cluster_params(kwargs)
    click.echo(f"drawing the deck (charts and maps at {kwargs['dpi']} dpi) ...", err=True)
    deck = build_deck(
        prepared,
        financial_year=kwargs["financial_year"],
        compare=kwargs["compare"],
        districts=districts,
        qualifiers=qualifiers,
        title=title,
        params=params,
        demo=demo,
        dpi=kwargs["dpi"],
        streets=load_streets(opts.spec()),  # the store's (or the demo's) streets
    )
    write_deck(deck, output)
    for line in deck.facts.get("coverage", []):
        click.echo(f"coverage {line}")
    if kwargs["compare"] and kwargs["compare"] not in deck.facts["years"]:
        click.echo(f"no data for {kwargs['compare']}: the deck compares nothing with it", err=True)
    click.echo(f"{len(deck.slides)} slides written to {output}")
    for i, title_ in enumerate(deck.titles, start=1):
        click.echo(f"  {i:2d}. {title_}")
