"""The deck's model (Table, Slide, Deck) and its writers: PowerPoint and PDF."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from hotspots import __version__
from hotspots._errors import HotspotsError
from hotspots.outputs.deck_charts import ChartModel
from hotspots.outputs.panel import fmt_int, fmt_pct

SLIDE_W, SLIDE_H = 13.333, 7.5
TITLE_PT, LINE_PT, FOOTER_PT = 28, 13, 8
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Table:
    """A table on a slide: header and text cells (numbers already formatted).

    ``numeric`` marks the right-aligned columns; the last row is bold when
    ``total_row``.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    total_row: bool = True
    first_width_in: float = 3.0
    width_in: float = 1.25
    column_widths_in: tuple[float, ...] = ()

    @property
    def widths(self) -> list[float]:
        """Column widths in inches (``column_widths_in`` when given)."""
        if self.column_widths_in:
            return list(self.column_widths_in)
        return [self.first_width_in] + [self.width_in] * (len(self.header) - 1)


@dataclass(frozen=True)
class Slide:
    """One slide: a title, fact lines, up to two tables side by side, a chart, or one image.

    ``key`` names the slide kind (:data:`TITLES` keys, ``"title"``). ``chart``
    is drawn as a native PowerPoint chart (and with matplotlib in the PDF):
    below the lines, or right of the tables when there are tables.
    """

    key: str
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    image: bytes | None = None
    image_alt: str = ""
    subtitle: str = ""
    footer: str = ""
    chart: ChartModel | None = None


@dataclass(frozen=True)
class Deck:
    """The slides, in order, and the facts they were built from (for checks and the CLI)."""

    slides: tuple[Slide, ...]
    facts: dict = field(default_factory=dict)

    @property
    def titles(self) -> list[str]:
        """The slide titles in order."""
        return [s.title for s in self.slides]


def frame_table(
    frame: pd.DataFrame,
    header: Sequence[str],
    *,
    ints: Sequence[str] = (),
    pcts: Sequence[str] = (),
    signed: Sequence[str] = (),
    floats: Sequence[str] = (),
    total_row: bool = True,
    first_width_in: float = 3.0,
    width_in: float = 1.25,
) -> Table:
    """Format a DataFrame's cells for a slide.

    Examples
    --------
    >>> t = frame_table(pd.DataFrame({"w": ["A"], "n": [1070], "p": [-7.0]}), ["Ward", "N", "%"],
    ...                 ints=["n"], pcts=["p"], signed=["p"])
    >>> t.rows
    (('A', '1,070', '-7%'),)
    """
    cols = list(frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, value in zip(cols, rec):
            if col in ints:
                cells.append(fmt_int(value) if col not in signed or pd.isna(value)
                             else f"{int(value):+,d}")  # fmt: skip
            elif col in pcts:
                cells.append(fmt_pct(value, signed=col in signed))
            elif col in floats:
                cells.append("" if pd.isna(value) else f"{float(value):,.1f}")
            else:
                cells.append(str(value))
        rows.append(tuple(cells))
    numeric = tuple(c in (*ints, *pcts, *floats) for c in cols)
    return Table(tuple(header), tuple(rows), numeric, total_row, first_width_in, width_in)


def split_table(table: Table, max_rows: int) -> list[Table]:
    """Split a long table into pieces of at most ``max_rows`` body rows (the total stays last).

    Examples
    --------
    >>> t = Table(("a",), tuple((str(i),) for i in range(5)), (False,))
    >>> [len(p.rows) for p in split_table(t, 2)], [p.total_row for p in split_table(t, 2)]
    ([2, 2, 1], [False, False, True])
    """
    if len(table.rows) <= max_rows:
        return [table]
    pieces = []
    for start in range(0, len(table.rows), max_rows):
        chunk = table.rows[start : start + max_rows]
        last = start + max_rows >= len(table.rows)
        pieces.append(Table(table.header, chunk, table.numeric, table.total_row and last,
                            table.first_width_in, table.width_in))  # fmt: skip
    return pieces


def deck_colours() -> dict:
    """The deck's colours, from the project's one style (:mod:`hotspots.draw.cartography`).

    ``header``: the table header fill (white text on it). The charts' year
    colours are :data:`hotspots.outputs.deck_charts.YEAR_COLOURS` (colour-blind
    safe, told apart by marker and dash as well).
    """
    from hotspots.draw import cartography

    return {"header": cartography.WARD_COLOURS[-1]}


_MARGIN = 0.5


_TITLE_BOX = (_MARGIN, 0.3, SLIDE_W - 2 * _MARGIN, 0.75)


_LINE_H = 0.33
#: A wrapped line within a paragraph (1.2 x the line's type size).
_WRAP_H = 1.2 * LINE_PT / 72


_FOOTER_BOX = (_MARGIN, 6.95, SLIDE_W - 2 * _MARGIN, 0.4)


_BODY_BOTTOM = 6.85


#: Average character width as a share of the font size (DejaVu Sans in the PDF is the widest).
_CHAR_EM = 0.56
#: A chart beside tables needs at least this width (inches); else it goes on its own.
MIN_CHART_W = 4.0


def _chars_per_line(width_in: float, pt: float) -> int:
    return max(int(width_in * 72 / (pt * _CHAR_EM)), 10)


def _wrap_count(text: str, width_in: float, pt: float) -> int:
    """Lines a text takes in a box of ``width_in`` inches at ``pt`` points (as the PDF wraps it)."""
    import textwrap

    return max(1, len(textwrap.wrap(text, _chars_per_line(width_in, pt))))


_CELL_PAD_IN = 0.1


def _text_width_in(text: str, pt: float, *, bold: bool = False) -> float:
    """The width of ``text`` in inches at ``pt`` points, in DejaVu Sans (the PDF's font)."""
    return _font(bold).getlength(text) / 100 * pt / 72


@cache
def _font(bold: bool):
    from matplotlib import font_manager
    from PIL import ImageFont

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size=100)


def _table_fits(table: Table, pt: float) -> bool:
    """True when every cell's text fits its column at ``pt`` points."""
    for i, cells in enumerate([table.header, *table.rows]):
        bold = i == 0 or (table.total_row and i == len(table.rows))
        for text, width in zip(cells, table.widths):
            if _text_width_in(str(text), pt, bold=bold) + _CELL_PAD_IN > width:
                return False
    return True


@dataclass(frozen=True)
class _Box:
    left: float
    top: float
    width: float
    height: float


def _layout(slide: Slide) -> dict:
    """Where things go on a slide, in inches (shared by both writers)."""
    width = SLIDE_W - 2 * _MARGIN
    if slide.image is not None and slide.key == "where":
        # A map beside its facts: the map as large as the slide allows, the lines on the right.
        from PIL import Image

        with Image.open(io.BytesIO(slide.image)) as im:
            aspect = im.width / im.height
        h = _BODY_BOTTOM - 1.1
        w = min(h * aspect, 8.6)
        h = w / aspect
        right = _MARGIN + w + 0.3
        return {"lines": _Box(right, 1.2, SLIDE_W - _MARGIN - right, h), "tables": [],
                "image": _Box(_MARGIN, 1.1, w, h), "row_h": 0.3, "pt": 12}  # fmt: skip
    height = sum(_LINE_H + _WRAP_H * (_wrap_count(t, width, LINE_PT) - 1) for t in slide.lines)
    lines_box = _Box(_MARGIN, 1.1, width, height + 0.1)
    top = lines_box.top + lines_box.height + 0.15 if slide.lines else 1.2
    body_h = _BODY_BOTTOM - top
    out: dict = {"lines": lines_box, "tables": [], "image": None, "row_h": 0.3, "pt": 12,
                 "chart": None}  # fmt: skip
    if slide.tables:
        n_rows = max(len(t.rows) + 1 for t in slide.tables)
        row_h = min(0.34, body_h / n_rows)
        pt = 12 if row_h >= 0.3 else 11 if row_h >= 0.26 else 10
        # Smaller type where a cell would be wider than its column (no cut cell).
        while pt > 8 and not all(_table_fits(t, pt) for t in slide.tables):
            pt -= 1
        out["row_h"], out["pt"] = row_h, pt
        left = _MARGIN
        for t in slide.tables:
            w = sum(t.widths)
            out["tables"].append(_Box(left, top, w, row_h * (len(t.rows) + 1)))
            left += w + 0.5
        if slide.chart is not None:
            # Right of the tables, as tall as the body.
            chart_left = left - 0.2
            out["chart"] = _Box(chart_left, top, SLIDE_W - _MARGIN - chart_left, body_h)
    elif slide.chart is not None:
        out["chart"] = _Box(_MARGIN, top, width, body_h)
    if slide.image is not None:
        from PIL import Image

        with Image.open(io.BytesIO(slide.image)) as im:
            aspect = im.width / im.height
        w, h = width, body_h
        if w / h > aspect:
            w = h * aspect
        else:
            h = w / aspect
        out["image"] = _Box(_MARGIN + (width - w) / 2, top, w, h)
    return out


def write_pptx(deck: Deck, path: str | Path) -> Path:
    """Write the deck as PowerPoint (16:9); tables are real, editable PowerPoint tables.

    Returns
    -------
    Path
    """
    from hotspots.io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(pptx_bytes(deck))
    return Path(path)


def _rgb(colour) -> tuple[int, int, int]:
    from matplotlib.colors import to_rgb

    return tuple(round(255 * c) for c in to_rgb(colour))


def _header_colour():
    return deck_colours()["header"]


def pptx_bytes(deck: Deck) -> bytes:
    """The deck as the bytes of a .pptx file (for the web app)."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.oxml.ns import qn
    from pptx.util import Inches, Pt

    from hotspots.outputs.deck_charts import add_pptx_chart

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = deck.slides[0].title if deck.slides else "ASB"
    prs.core_properties.author = f"hotspots {__version__}"

    def text_box(slide, box, text, pt, *, bold=False, colour=None):
        shape = slide.shapes.add_textbox(Inches(box.left), Inches(box.top), Inches(box.width),
                                         Inches(box.height))  # fmt: skip
        frame = shape.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n") if isinstance(text, str) else text):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.text = line
            para.font.size = Pt(pt)
            para.font.bold = bold
            if colour is not None:
                para.font.color.rgb = RGBColor(*colour)
        return shape

    header_rgb = RGBColor(*_rgb(_header_colour()))
    for s in deck.slides:
        layout = prs.slide_layouts[0 if s.key == "title" else 5]
        slide = prs.slides.add_slide(layout)
        title = slide.shapes.title
        title.text = s.title
        if s.key == "title":
            title.left, title.top = Inches(_MARGIN), Inches(1.8)
            title.width, title.height = Inches(SLIDE_W - 2 * _MARGIN), Inches(1.4)
            sub = slide.placeholders[1]
            sub.left, sub.top = Inches(_MARGIN), Inches(3.4)
            sub.width, sub.height = Inches(SLIDE_W - 2 * _MARGIN), Inches(2.6)
            sub.text = s.subtitle
            for para in sub.text_frame.paragraphs:
                para.font.size = Pt(18)
        else:
            box = _TITLE_BOX
            title.left, title.top = Inches(box[0]), Inches(box[1])
            title.width, title.height = Inches(box[2]), Inches(box[3])
            for para in title.text_frame.paragraphs:
                para.font.size, para.font.bold = Pt(TITLE_PT), True
                para.alignment = PP_ALIGN.LEFT
        lay = _layout(s)
        if s.lines:
            text_box(slide, lay["lines"], list(s.lines), LINE_PT)
        for t, box in zip(s.tables, lay["tables"]):
            shape = slide.shapes.add_table(len(t.rows) + 1, len(t.header), Inches(box.left),
                                           Inches(box.top), Inches(box.width),
                                           Inches(box.height))  # fmt: skip
            table = shape.table
            # "No Style, Table Grid": plain grid lines; the header is filled below.
            style = shape._element.graphic.graphicData.tbl.tblPr.find(qn("a:tableStyleId"))
            style.text = "{5940675A-B579-460E-94D1-54222C63F5DA}"
            table.horz_banding = False
            for j, w in enumerate(t.widths):
                table.columns[j].width = Inches(w)
            for i in range(len(t.rows) + 1):
                table.rows[i].height = Inches(lay["row_h"])
            for i, cells in enumerate([t.header, *t.rows]):
                is_total = t.total_row and i == len(t.rows)
                for j, value in enumerate(cells):
                    cell = table.cell(i, j)
                    cell.text = value
                    cell.margin_top = cell.margin_bottom = Inches(0.02)
                    para = cell.text_frame.paragraphs[0]
                    para.font.size = Pt(lay["pt"])
                    para.font.bold = i == 0 or is_total
                    para.alignment = PP_ALIGN.RIGHT if t.numeric[j] and i else PP_ALIGN.LEFT
                    if i == 0:
                        cell.fill.solid()
                        cell.fill.fore_color.rgb = header_rgb
                        para.font.color.rgb = RGBColor(255, 255, 255)
        if s.chart is not None:
            box = lay["chart"]
            add_pptx_chart(slide, s.chart, (box.left, box.top, box.width, box.height))
        if s.image is not None:
            box = lay["image"]
            pic = slide.shapes.add_picture(io.BytesIO(s.image), Inches(box.left), Inches(box.top),
                                           Inches(box.width), Inches(box.height))  # fmt: skip
            pic.name = s.image_alt or "chart"
            pic._element.nvPicPr.cNvPr.set("descr", s.image_alt)
        if s.footer:
            text_box(slide, _Box(*_FOOTER_BOX), s.footer, FOOTER_PT, colour=(80, 80, 80))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _pdf_page(s: Slide):
    """One slide as a matplotlib Figure, laid out as in the PowerPoint."""
    import textwrap

    from matplotlib.figure import Figure
    from matplotlib.image import imread

    fig = Figure(figsize=(SLIDE_W, SLIDE_H))

    def fx(x):
        return x / SLIDE_W

    def fy(y):
        return 1 - y / SLIDE_H

    def wrap(text, width_in, pt):
        return textwrap.fill(text, _chars_per_line(width_in, pt))

    if s.key == "title":
        fig.text(fx(_MARGIN), fy(2.5), s.title, fontsize=40, va="center", wrap=True)
        y = 3.5
        for line in s.subtitle.split("\n"):
            text = wrap(line, SLIDE_W - 2 * _MARGIN, 18)
            fig.text(fx(_MARGIN), fy(y), text, fontsize=18, va="top")
            y += 0.42 * (text.count("\n") + 1)
    else:
        fig.text(fx(_TITLE_BOX[0]), fy(_TITLE_BOX[1] + _TITLE_BOX[3] / 2), s.title,
                 fontsize=TITLE_PT, fontweight="bold", va="center")  # fmt: skip
    lay = _layout(s)
    if s.lines:
        box = lay["lines"]
        y = box.top + 0.05
        for line in s.lines:
            text = wrap(line, box.width, LINE_PT)
            fig.text(fx(box.left), fy(y), text, fontsize=LINE_PT, va="top")
            y += _LINE_H + _WRAP_H * text.count("\n")
    header_colour = _header_colour()
    for t, box in zip(s.tables, lay["tables"]):
        ax = fig.add_axes((fx(box.left), fy(box.top + box.height), box.width / SLIDE_W,
                           box.height / SLIDE_H))  # fmt: skip
        ax.set_axis_off()
        total_w = sum(t.widths)
        widths = [w / total_w for w in t.widths]
        if t.rows:
            table = ax.table(cellText=[list(r) for r in t.rows], colLabels=list(t.header),
                             colWidths=widths, bbox=(0, 0, 1, 1))  # fmt: skip
        else:  # a header alone (matplotlib needs cell text): the header as row 0
            table = ax.table(cellText=[list(t.header)], colWidths=widths, bbox=(0, 0, 1, 1))
        table.auto_set_font_size(False)
        table.set_fontsize(lay["pt"])
        for (i, j), cell in table.get_celld().items():
            cell.set_linewidth(0.6)
            cell.PAD = 0.04
            text = cell.get_text()
            text.set_ha("right" if t.numeric[j] and i else "left")
            cell._loc = "right" if t.numeric[j] and i else "left"
            if i == 0:
                cell.set_facecolor(header_colour)
                text.set_color("white")
                text.set_fontweight("bold")
            elif t.total_row and i == len(t.rows):
                text.set_fontweight("bold")
    if s.chart is not None:
        from hotspots.outputs.deck_charts import add_chart_axes, draw_chart

        box = lay["chart"]
        draw_chart(add_chart_axes(fig, s.chart, (box.left, box.top, box.width, box.height),
                                  (SLIDE_W, SLIDE_H)), s.chart)  # fmt: skip
    if s.image is not None:
        box = lay["image"]
        ax = fig.add_axes((fx(box.left), fy(box.top + box.height), box.width / SLIDE_W,
                           box.height / SLIDE_H))  # fmt: skip
        ax.imshow(imread(io.BytesIO(s.image), format="png"), interpolation="antialiased")
        ax.set_axis_off()
    if s.footer:
        x, y, w, _ = _FOOTER_BOX
        fig.text(fx(x), fy(y), wrap(s.footer, w, FOOTER_PT * 1.05), fontsize=FOOTER_PT,
                 va="top", color="#505050")  # fmt: skip
    return fig


def pdf_bytes(deck: Deck) -> bytes:
    """The deck as a PDF (one 16:9 page per slide, the same layout as the PowerPoint)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    meta = {"CreationDate": None, "Producer": None,
            "Title": deck.slides[0].title if deck.slides else "ASB"}  # fmt: skip
    with rc_context({"pdf.fonttype": 42}), PdfPages(buf, metadata=meta) as pdf:
        for s in deck.slides:
            pdf.savefig(_pdf_page(s), dpi=200)
    return buf.getvalue()


def write_pdf(deck: Deck, path: str | Path) -> Path:
    """Write the deck as a PDF (same slides and layout as :func:`write_pptx`)."""
    from hotspots.io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(pdf_bytes(deck))
    return Path(path)


def write_deck(deck: Deck, path: str | Path) -> Path:
    """Write the deck as ``.pptx`` or ``.pdf``, chosen by the suffix.

    Raises
    ------
    HotspotsError
        For any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in DECK_FORMATS:
        raise HotspotsError(
            f"-o {str(path)!r}: the deck is written as .pptx (PowerPoint, editable) or .pdf"
        )
    return write_pptx(deck, path) if suffix == ".pptx" else write_pdf(deck, path)


DECK_FORMATS = (".pptx", ".pdf")
