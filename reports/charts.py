"""Charts drawn by the app as SVG: no script, no CDN, crisp on a phone and on paper.

Every label is escaped; shapes carry a pattern as well as a colour so a grey printout still
tells the series apart.

Sizes are in the viewBox's units (360 wide). On a 360 px phone the chart is drawn about 320 px
wide, so every label is at least 13 units: 11.5 px on screen, above the 11 px floor.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

INK = "#0d6efd"
SECOND = "#198754"
LABEL = 13  # the smallest label, in viewBox units (see above)
TITLE = 14


def _defs():
    return (
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="4" height="4" fill="#d1e7dd"/>'
        f'<line x1="0" y1="0" x2="0" y2="4" stroke="{SECOND}" stroke-width="2"/></pattern></defs>'
    )


def trend(months, series, title):
    """Grouped bars per month. `series` is [(label, [value per month]), …] (two series)."""
    width, height, left, bottom, top = 360, 210, 36, 40, 26
    peak = max([1, *[v for _label, values in series for v in values]])
    slot = (width - left - 4) / max(len(months), 1)
    bar = slot / (len(series) + 1)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'class="report-chart" xmlns="http://www.w3.org/2000/svg">',
        _defs(),
        f'<text x="{left}" y="15" font-size="{TITLE}">{escape(title)}</text>',
    ]
    for tick in (0, peak // 2, peak):
        y = height - bottom - (height - bottom - top) * tick / peak
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>')
        parts.append(
            f'<text x="{left - 3}" y="{y + 4:.1f}" font-size="{LABEL}" '
            f'text-anchor="end">{tick}</text>'
        )
    fills = [INK, "url(#hatch)"]
    for m, month in enumerate(months):
        x0 = left + m * slot + bar / 2
        for s, (label, values) in enumerate(series):
            value = values[m]
            h = (height - bottom - top) * value / peak
            y = height - bottom - h
            parts.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{fills[s]}" stroke="{SECOND if s else INK}"><title>{escape(label)} '
                f"{month:%Y-%m}: {value}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + bar * len(series) / 2:.1f}" y="{height - bottom + 14}" '
            f'font-size="{LABEL}" text-anchor="middle">{month:%m}</text>'
        )
    legend_y = height - 8
    for s, (label, _values) in enumerate(series):
        x = left + s * 120
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{fills[s]}" '
            f'stroke="{SECOND if s else INK}"/>'
        )
        parts.append(
            f'<text x="{x + 16}" y="{legend_y + 1}" font-size="{LABEL}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def comparison(rows, title, rate_label):
    """Horizontal bars of one rate per place: rows is [(name, rate or None), …]."""
    line, left, width = 24, 96, 360
    height = 30 + line * max(len(rows), 1)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'class="report-chart" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="15" font-size="{TITLE}">{escape(title)}</text>',
    ]
    span = width - left - 52  # room for "100.0%" after the longest bar
    for i, (name, rate) in enumerate(rows):
        y = 26 + i * line
        parts.append(
            f'<text x="{left - 4}" y="{y + 14}" font-size="{LABEL}" text-anchor="end">'
            f"{escape(name)}</text>"
        )
        if rate is None:
            parts.append(
                f'<text x="{left}" y="{y + 14}" font-size="{LABEL}" fill="#6c757d">—</text>'
            )
            continue
        w = span * rate / 100
        parts.append(
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{line - 8}" fill="{INK}">'
            f"<title>{escape(name)} {escape(rate_label)} {rate}%</title></rect>"
        )
        parts.append(
            f'<text x="{left + w + 3:.1f}" y="{y + 14}" font-size="{LABEL}">{rate}%</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
