"""Small server-rendered SVG line charts for the knowledge-gap view: no JavaScript, no style
attributes (the CSP forbids inline styles; presentation attributes are fine), a <title> and
a <desc> for screen readers (the page adds a table of the same numbers), every text escaped.
"""

import re

from markupsafe import Markup, escape

WIDTH, PLOT_HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
LEGEND_ROW = 18
# Distinguishable in colour-blind palettes (Okabe-Ito); a dash pattern after the sixth.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
_ID = re.compile(r"[^a-z0-9-]")


def _number(value: float) -> str:
    """A coordinate or a tick, short: 12, 12.5."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _tick_top(peak: float) -> float:
    """A round upper bound for the y axis, at least `peak` (and at least 1)."""
    if peak <= 1:
        return 1.0
    step = 1.0
    while step * 10 < peak:
        step *= 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= peak:
            return step * factor
    return step * 10


def line_chart(chart_id: str, title: str, desc: str, labels: list[str],
               series: list[tuple[str, list[float | None]]]) -> Markup:
    """An inline <svg> line chart: one line per (name, values) of `series` over the x
    `labels` (None values leave a gap). `chart_id` names its <title> and <desc> elements."""
    ident = _ID.sub("-", chart_id.lower()) or "chart"
    count = max(len(labels), 1)
    values = [v for _name, points in series for v in points if v is not None]
    top = _tick_top(max(values, default=0))
    plot_width = WIDTH - LEFT - RIGHT
    legend_height = LEGEND_ROW * ((len(series) + 2) // 3) if len(series) > 1 else 0
    height = TOP + PLOT_HEIGHT + BOTTOM + legend_height

    def x(index: int) -> str:
        if count == 1:
            return _number(LEFT + plot_width / 2)
        return _number(LEFT + plot_width * index / (count - 1))

    def y(value: float) -> str:
        return _number(TOP + PLOT_HEIGHT * (1 - value / top))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-size="11" '
        f'font-family="sans-serif">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]
    for tick in (0, top / 2, top):  # horizontal grid lines with their values
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick)}" y2="{y(tick)}" '
                     f'stroke="#cccccc" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick)}" text-anchor="end" '
                     f'dominant-baseline="middle" fill="#555555">{escape(_number(tick))}</text>')
    if labels:  # the first, middle and last x labels are enough to read a trend
        shown = sorted({0, (len(labels) - 1) // 2, len(labels) - 1})
        for index in shown:
            anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
            if len(labels) == 1:
                anchor = "middle"
            parts.append(f'<text x="{x(index)}" y="{TOP + PLOT_HEIGHT + 16}" '
                         f'text-anchor="{anchor}" fill="#555555">{escape(labels[index])}</text>')
    for number, (name, points) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        dash = ' stroke-dasharray="6 3"' if number >= len(COLOURS) else ""
        segment: list[str] = []
        segments = []
        for index, value in enumerate(points[:count]):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(index)},{y(value)}")
        if segment:
            segments.append(segment)
        for run in segments:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
            else:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" '
                             f'stroke="{colour}" stroke-width="2"{dash}/>')
        if legend_height:
            row, column = divmod(number, 3)
            lx = LEFT + column * (plot_width / 3)
            ly = TOP + PLOT_HEIGHT + BOTTOM + row * LEGEND_ROW + 4
            parts.append(f'<line x1="{_number(lx)}" x2="{_number(lx + 16)}" y1="{ly}" '
                         f'y2="{ly}" stroke="{colour}" stroke-width="3"{dash}/>')
            parts.append(f'<text x="{_number(lx + 22)}" y="{ly}" dominant-baseline="middle" '
                         f'fill="#333333">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
