"""Self-contained HTML: escaped text, tables whose numbers name their source, inlined images.

The report is read offline, from a file:// URL, sometimes years later: nothing is fetched (no
script, no font, no stylesheet from elsewhere), every image is a ``data:`` URI, and the page has
no JavaScript at all. A number taken from a file is written as a cell that names the file and
the key it came from (``data-file``, ``data-key``), so that a reader (and a test) can check it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

STYLE = """
body { font-family: sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 70em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f2f2f2; } td.text { text-align: left; }
.pass { background: #d8f0d8; } .fail { background: #f6d0d0; } .open { background: #f6ecc8; }
.source { color: #666; font-size: 0.85em; } figure { display: inline-block; margin: 0.5em; }
figcaption { font-size: 0.85em; color: #555; } img { max-width: 100%; }
"""


@dataclass(frozen=True)
class Number:
    """A number as shown, with the file (relative to the report's sources) and key it came
    from: ``labels/2/mean`` in a JSON file, ``ROW/COLUMN`` in a CSV file."""

    value: float | int | None
    file: str
    key: str
    digits: int = 2

    def text(self) -> str:
        if self.value is None:
            return "n/a"
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return str(self.value)
        return f"{float(self.value):.{self.digits}f}"


Cell = str | int | float | Number | None


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: Cell, tag: str = "td") -> str:
    if isinstance(value, Number):
        attributes = f' data-file="{escape(value.file)}" data-key="{escape(value.key)}"'
        return f"<{tag}{attributes}>{escape(value.text())}</{tag}>"
    if isinstance(value, str):
        return f'<{tag} class="text">{value}</{tag}>'  # already HTML (escape() it first)
    return f"<{tag}>{'' if value is None else escape(value)}</{tag}>"


def table(header: Sequence[str], rows: Iterable[Sequence[Cell]], css: Sequence[str] = ()) -> str:
    """A table; ``css`` gives an optional class per row (pass, fail, open)."""
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    classes = list(css)
    body = []
    for number, row in enumerate(rows):
        style = f' class="{classes[number]}"' if number < len(classes) and classes[number] else ""
        body.append(f"<tr{style}>{''.join(_cell(value) for value in row)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure(path: Path, caption: str) -> str:
    """A PNG file inlined, with its caption."""
    uri = png_uri(Path(path).read_bytes())
    return (
        f'<figure><img src="{uri}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def image_bytes(data: bytes, alt: str) -> str:
    return f'<img src="{png_uri(data)}" alt="{escape(alt)}">'


def source_line(*paths: object) -> str:
    names = ", ".join(f"<code>{escape(path)}</code>" for path in paths)
    return f'<p class="source">from {names}</p>'


def section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{body}</section>'


def contents(entries: Sequence[tuple[str, str]]) -> str:
    """A list of links to the page's sections: (anchor, title) each."""
    items = "".join(
        f'<li><a href="#{escape(anchor)}">{escape(title)}</a></li>' for anchor, title in entries
    )
    return f"<nav><ul>{items}</ul></nav>"


def page(title: str, body: str) -> str:
    """A whole HTML document: inline style, no script."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
