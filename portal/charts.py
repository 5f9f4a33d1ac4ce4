"""Charts of the portal, rendered on the server as SVG: no script, no third-party code, readable by a
screen reader (<title>, <desc>, a <title> per bar) and sharp at any width (a viewBox that scales).

The page shows the same numbers as a table beside the chart; the chart only draws them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.templatetags.formatting import money, month

WIDTH = 360  # viewBox units: about the width of a phone's card, so text keeps its size there
HEIGHT = 180
TOP = 18  # room for the scale's label
BOTTOM = 22  # room for the month labels
LEFT = 4
RIGHT = 4


@dataclass(frozen=True, slots=True)
class Bar:
    period: dt.date  # the first day of the period
    amount: Decimal


def _month(start: dt.date) -> str:
    # "Jan" / "jan": a bar is a month; January also names its year, so a year's start is visible.
    text = formats.date_format(start, "M")
    return f"{text} {start:%y}" if start.month == 1 else text


def earnings_bar_chart(bars: list[Bar], *, title: str, description: str, chart_id: str) -> SafeString:
    """An SVG bar chart of amounts per period, oldest left; negative amounts hang below the line."""
    if not bars:
        return SafeString("")
    amounts = [bar.amount for bar in bars]
    high = max(max(amounts), Decimal(0))
    low = min(min(amounts), Decimal(0))
    span = (high - low) or Decimal(1)
    plot = HEIGHT - TOP - BOTTOM
    baseline = TOP + float(high / span) * plot
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    gap = max(slot * 0.2, 2)

    rects = []
    for index, bar in enumerate(bars):
        size = float(abs(bar.amount) / span) * plot
        y = baseline - size if bar.amount >= 0 else baseline
        x = LEFT + index * slot + gap / 2
        rects.append(
            (
                f"{x:.1f}",
                f"{y:.1f}",
                f"{slot - gap:.1f}",
                f"{max(size, 0.5):.1f}",
                "bar negative" if bar.amount < 0 else "bar",
                f"{month(bar.period)}: {money(bar.amount)}",
                f"{LEFT + index * slot + slot / 2:.1f}",
                _month(bar.period),
            )
        )
    bar_marks = format_html_join(
        "",
        '<g><rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>'
        '<text x="{}" y="' + str(HEIGHT - 6) + '" text-anchor="middle" class="label">{}</text></g>',
        rects,
    )
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<text x="{left}" y="12" class="scale">{high}</text>'
        '<line x1="{left}" x2="{right}" y1="{top}" y2="{top}" class="grid"/>'
        "{bars}"
        '<line x1="{left}" x2="{right}" y1="{base}" y2="{base}" class="axis"/>'
        "</svg>",
        id=chart_id,
        w=WIDTH,
        h=HEIGHT,
        title=title,
        desc=description,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        high=money(high),
        bars=bar_marks,
        base=f"{baseline:.1f}",
    )
