"""A self-contained HTML page from a report's Markdown, its images embedded as data URIs.

The Markdown is rendered by markdown-it-py (CommonMark with pipe tables). Image sources found
in ``images`` are replaced by ``data:image/png;base64,...`` so the page needs no other file;
relative links to Markdown pages point to their HTML twins (``x.md`` -> ``x.html``,
``README.md`` -> ``index.html``, see :func:`html_path`).

Tables never scroll sideways and hide no column. Each body cell carries its column's name
(``data-label``); a cell of one word (a number, a date, an id) never wraps, so no number is
cut. From the longest unbreakable text of each column the page estimates a table's narrowest
width: on a screen that wide or wider the table is a table (15 columns or more in a smaller
font, headers wrapping after ``_``); on a narrower one it stacks, one block per row with each
cell shown as ``name value``.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: From this many columns a table is set in a smaller font (FONT_REM: normal, small).
MANY_COLUMNS, FONT_REM = 15, (0.85, 0.74)
#: A table's narrowest width is estimated from the characters of its columns' longest
#: unbreakable texts: CHAR_EM em each (fitted on Arial-metric fonts), the cell padding and
#: border (PAD_REM: normal, small font), and a MARGIN for other fonts. It stacks on screens
#: narrower than that plus PAGE_REM (page padding, scrollbar); wider than the page, always.
CHAR_EM, PAD_REM, MARGIN, PAGE_REM = 0.53, (0.96, 0.66), 1.1, 3
PAGE_MAX_REM = 72

CSS = f"""
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: {PAGE_MAX_REM}rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328;
       line-height: 1.45; overflow-wrap: break-word; }}
h1 {{ font-size: 1.6rem; }} h2 {{ border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }}
table {{ border-collapse: collapse; margin: .6rem 0; font-size: {FONT_REM[0]}rem;
         max-width: 100%; }}
th, td {{ border: 1px solid #d0d7de; padding: .2rem .45rem; vertical-align: top; }}
th {{ background: #f6f8fa; }} tr:nth-child(even) td {{ background: #fbfcfd; }}
td {{ font-variant-numeric: tabular-nums; }} td.nb {{ white-space: nowrap; }}
table.many {{ font-size: {FONT_REM[1]}rem; }}
table.many th, table.many td {{ padding: .15rem .3rem; }}
img {{ max-width: 100%; height: auto; display: block; margin: .6rem 0; }}
blockquote {{ color: #57606a; border-left: .25rem solid #d0d7de; margin: 0; padding: 0 1rem; }}
code {{ background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }}
th code {{ padding: 0; background: none; }}
@media (max-width: 44rem) {{ body {{ margin: 1rem auto; padding: 0 .6rem; }} }}
"""


def _stacked(width: int) -> str:
    """CSS that lays out the rows of ``table.stack-<width>`` as blocks of ``label value``
    cells on screens at most ``width`` rem wide (0: on every screen)."""
    t = f"table.stack-{width}"
    rules = f"""
  {t}, {t} tbody, {t} tr {{ display: block; font-size: {FONT_REM[0]}rem; }}
  {t} thead {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
              clip: rect(0 0 0 0); }}
  {t} tr {{ border: 1px solid #d0d7de; margin: .4rem 0; padding: .2rem .5rem; }}
  {t} td {{ display: inline-block; border: 0; padding: .1rem .9rem .1rem 0;
           text-align: left !important; background: none !important; }}
  {t} td::before {{ content: attr(data-label) "\\a0"; color: #57606a; font-size: .8em; }}
  {t} td[data-next]::after {{ content: "\\a0" attr(data-next); }}
  {t} td:first-child {{ display: block; font-weight: 600; }}
  {t} td:empty, {t} td.joined {{ display: none; }}
"""
    return f"@media (max-width: {width}rem) {{{rules}}}\n" if width else rules


_TH = re.compile(r"(<th[^>]*>)(.*?)(</th>)", re.S)
_TH_BREAK = re.compile(r"_(?![^<]*>)")  # an underscore of a header's text, not of a tag


def html_path(markdown_path: str) -> str:
    """The HTML twin of a Markdown page: ``README.md`` -> ``index.html``, ``x.md`` -> ``x.html``."""
    head, _, name = markdown_path.rpartition("/")
    stem = "index" if name == "README.md" else name.removesuffix(".md")
    return f"{head}/{stem}.html" if head else f"{stem}.html"


def _local(target: str) -> bool:
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc or target.startswith(("#", "/")))


def _links(children: Sequence[Token], images: Mapping[str, bytes],
           keep: Callable[[str], bool] | None) -> list[Token]:
    """An inline token list with Markdown links turned to HTML ones and images embedded; a
    link (or image) to a local file ``keep`` says is missing loses its target (text stays)."""
    out: list[Token] = []
    dropping = False
    for child in children:
        if child.type == "link_open":
            href = str(child.attrGet("href"))
            if _local(href):
                path, hash_, anchor = href.partition("#")
                if path.endswith(".md"):
                    path = html_path(path)
                    child.attrSet("href", path + hash_ + anchor)
                dropping = keep is not None and not keep(path)
            if dropping:
                continue
        elif child.type == "link_close" and dropping:
            dropping = False
            continue
        elif child.type == "image":
            src = str(child.attrGet("src"))
            if src in images:
                data = base64.b64encode(images[src]).decode("ascii")
                child.attrSet("src", f"data:image/png;base64,{data}")
            elif _local(src) and keep is not None and not keep(src):
                continue
        out.append(child)
    return out


def _plain(token: Token) -> str:
    """The text of an inline token (a table cell), without its markup."""
    return "".join(c.content for c in token.children or () if c.type in ("text", "code_inline"))


def _stack_width(widths: Sequence[int], many: bool) -> int:
    """The screen width (rem) below which a table stacks, from the characters of its columns'
    longest unbreakable texts; 0 when it is wider than the page (it always stacks)."""
    need = MARGIN * (CHAR_EM * FONT_REM[many] * sum(widths) + PAD_REM[many] * len(widths))
    return 0 if need > PAGE_MAX_REM else math.ceil(need + PAGE_REM)


def _label_tables(tokens: list[Token]) -> set[int]:
    """Give each table its classes (font, stacking width) and each body cell its column's name
    (``data-label``); a cell of one word gets ``nb`` (no break). Returns the stacking widths."""
    stacks: set[int] = set()
    header: list[str] = []
    widths: list[int] = []
    table: Token | None = None
    previous: Token | None = None
    column = 0
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            table, header, widths = token, [], []
        elif token.type == "th_open":
            header.append(_plain(tokens[i + 1]))
            widths.append(max(map(len, re.split(r"\s+|(?<=_)", header[-1]))))
        elif token.type == "tr_open":
            column, previous = 0, None
        elif token.type == "td_open" and column < len(header):
            token.attrSet("data-label", header[column])
            text = _plain(tokens[i + 1]).strip()
            classes = ["nb"] if text and not any(c.isspace() for c in text) else []
            if text and not header[column] and previous is not None:
                previous.attrSet("data-next", text)  # stars: shown after the p-value when
                classes.append("joined")             # stacked, never on a line of their own
            if classes:
                token.attrSet("class", " ".join(classes))
            widths[column] = max(widths[column], *map(len, text.split()), 0)
            column, previous = column + 1, token
        elif token.type == "table_close" and table is not None:
            many = len(header) >= MANY_COLUMNS
            width = _stack_width(widths, many)
            stacks.add(width)
            table.attrSet("class", f"many stack-{width}" if many else f"stack-{width}")
    return stacks


def to_html(markdown: str, title: str, images: Mapping[str, bytes],
            keep: Callable[[str], bool] | None = None) -> str:
    """The HTML page of ``markdown``; ``images`` maps the Markdown's image paths to PNG bytes.

    Parameters
    ----------
    markdown : str
        The report's Markdown.
    title : str
        The page title.
    images : mapping of str to bytes
        PNG content per relative path as written in the Markdown; other images keep their path.
    keep : callable, optional
        Whether a relative path (after ``.md`` -> ``.html``) names a file of the site; a link
        to one that does not keeps its text only. None keeps every link.

    Returns
    -------
    str
    """
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(markdown)
    for token in tokens:
        if token.children:
            token.children = _links(token.children, images, keep)
    style = CSS + "".join(_stacked(width) for width in sorted(_label_tables(tokens)))
    body = md.renderer.render(tokens, md.options, {})
    body = _TH.sub(lambda m: m[1] + _TH_BREAK.sub("_<wbr>", m[2]) + m[3], body)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
            f"{body}</body>\n</html>\n")
