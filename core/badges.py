"""Coloured status badges for admin lists, built in one place so colour means state only.

Red is reserved for lines held by mapping and for rows that need a person.
"""

from django.utils.html import format_html

COLOURS = {
    "red": ("#fde8e8", "#9b1c1c"),
    "amber": ("#fef3c7", "#92400e"),
    "green": ("#def7ec", "#03543f"),
    "blue": ("#e1effe", "#1e429f"),
    "grey": ("#f3f4f6", "#374151"),
}


def badge(text: str, colour: str = "grey", title: str = "") -> str:
    """Render `text` as a rounded badge in one of COLOURS, escaping every argument."""
    background, foreground = COLOURS[colour]
    return format_html(
        '<span class="badge badge-{}" title="{}" style="background:{};color:{};'
        'padding:1px 8px;border-radius:9px;font-weight:600;white-space:nowrap">{}</span>',
        colour,
        title,
        background,
        foreground,
        text,
    )
