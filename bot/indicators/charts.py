"""Charts drawn on the server as SVG: the same in the dashboard, the HTML and the PDF.

No JavaScript and nothing to download: each chart is an ``<svg role="img">`` with a
title and a one-sentence description, and the page puts the same figures in a table
below it. Colours contrast at least 4.5:1 with white (WCAG 2.1 AA, 1.4.11 for graphics).
"""

from __future__ import annotations

import textwrap
from html import escape

BAR = "#000091"  # bleu France, 14.9:1 on white
BAR_HIDDEN = "#666666"  # hidden or merged values
TEXT = "#161616"
GRID = "#929292"
# Width of a bar chart's drawing (SVG units) and the longest line of a label above a bar
# at the 15-unit font (about 7.5 units a character in Marianne or Arial).
BARS_WIDTH = 380
LABEL_CHARACTERS = 46


def _number(value: int | None, min_cell: int) -> str:
    return (
        f"moins de {min_cell}" if value is None else f"{value:,}".replace(",", "\u202f")
    )


def bar_chart(
    chart_id: str,
    title: str,
    rows: list[tuple[str, int | None, float | None]],
    min_cell: int,
) -> str:
    """Horizontal bars, one per (label, count, share); hidden counts in grey.

    Each label is written whole above its bar, on as many lines as it needs (never
    cut): the chart stays narrow enough to be read on a phone and in the A4 report.
    """
    if not rows:
        return ""
    width, line_height, bar_height, value_width = BARS_WIDTH, 18, 16, 120
    largest = max((n for _, n, _ in rows if n is not None), default=1) or 1
    bars_width = width - value_width
    parts, y = [], 4
    for text, count, share in rows:
        for line in wrap_label(text):
            y += line_height
            parts.append(f'<text x="0" y="{y - 4}">{escape(line)}</text>')
        length = max(2, round(bars_width * (count or 0) / largest)) if count else 6
        shown = _number(count, min_cell) + (
            f" ({round(share * 100)}\u00a0%)" if share is not None else ""
        )
        parts.append(
            f'<rect x="0" y="{y}" width="{length}" height="{bar_height}" '
            f'fill="{BAR if count is not None else BAR_HIDDEN}"/>'
            f'<text x="{length + 6}" y="{y + bar_height - 3}">{escape(shown)}</text>'
        )
        y += bar_height + 12
    summary = "; ".join(f"{t} : {_number(n, min_cell)}" for t, n, _ in rows[:3])
    return _svg(
        chart_id,
        title,
        f"Plus grandes valeurs — {summary}.",
        width,
        y,
        "".join(parts),
        "chart bars",
    )


def wrap_label(text: str) -> list[str]:
    """A label on lines of ``LABEL_CHARACTERS`` characters at most, cut at spaces."""
    return textwrap.wrap(text, LABEL_CHARACTERS, break_on_hyphens=False) or [""]


def column_chart(
    chart_id: str,
    title: str,
    rows: list[tuple[str, int | None]],
    min_cell: int,
    unit: str = "semaine",
) -> str:
    """Vertical columns over time (one per week or month), with a few dates below."""
    if not rows:
        return ""
    width, height, left, bottom = 1000, 260, 56, 30
    plot_height = height - bottom - 12
    largest = max((n for _, n in rows if n is not None), default=0) or 1
    step = (width - left - 40) / len(rows)
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" '
        f'y2="{height - bottom}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{height - bottom - plot_height + 8}" '
        'text-anchor="end">'
        f"{_number(largest, min_cell)}</text>",
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    label_every = max(1, len(rows) // 6)
    for index, (week, count) in enumerate(rows):
        x = left + index * step
        bar = round(plot_height * (count or 0) / largest) if count else 0
        if count is None:
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{height - bottom - 3}" '
                f'width="{max(1, step - 2):.1f}" '
                f'height="3" fill="{BAR_HIDDEN}"/>'
            )
        elif bar:
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{height - bottom - bar}" '
                f'width="{max(1, step - 2):.1f}" height="{bar}" fill="{BAR}"/>'
            )
        if index % label_every == 0 and x + 70 < width:
            parts.append(
                f'<text x="{x + 1:.1f}" y="{height - 8}">'
                f"{escape(_short_date(week))}</text>"
            )
    known = [n for _, n in rows if n is not None]
    units = unit if unit.endswith("s") else unit + "s"
    description = (
        f"{len(rows)} {units} ; au plus {_number(max(known), min_cell)} par {unit}."
        if known
        else f"{len(rows)} {units}, sous le seuil de {min_cell}."
    )
    return _svg(chart_id, title, description, width, height, "".join(parts), "chart")


def _short_date(iso_day: str) -> str:
    year, month, day = iso_day.split("-")
    return f"{day}/{month}/{year[2:]}"


def _svg(
    chart_id: str,
    title: str,
    description: str,
    width: int,
    height: int,
    body: str,
    css_class: str,
) -> str:
    return (
        f'<svg class="{css_class}" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" '
        'xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Marianne, Arial, sans-serif" font-size="15" fill="{TEXT}">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>{body}</svg>'
    )
