"""A self-contained HTML page from a report's Markdown, its images embedded as data URIs.

The Markdown is rendered by markdown-it-py (CommonMark with pipe tables); image sources found
in ``images`` are replaced by ``data:image/png;base64,...`` so the page needs no other file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from markdown_it import MarkdownIt

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 72rem;
       margin: 2rem auto; padding: 0 1rem; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .85rem; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: .2rem .5rem; }
th { background: #f6f8fa; } tr:nth-child(even) td { background: #fbfcfd; }
td { font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; margin: .6rem 0; }
blockquote { color: #57606a; border-left: .25rem solid #d0d7de; margin: 0; padding: 0 1rem; }
code { background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }
"""


def to_html(markdown: str, title: str, images: Mapping[str, bytes]) -> str:
    """The HTML page of ``markdown``; ``images`` maps the Markdown's image paths to PNG bytes.

    Parameters
    ----------
    markdown : str
        The report's Markdown.
    title : str
        The page title.
    images : mapping of str to bytes
        PNG content per relative path as written in the Markdown; other images keep their path.

    Returns
    -------
    str
    """
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(markdown)
    for token in tokens:
        for child in token.children or ():
            if child.type == "image":
                src = str(child.attrGet("src"))
                if src in images:
                    data = base64.b64encode(images[src]).decode("ascii")
                    child.attrSet("src", f"data:image/png;base64,{data}")
    body = md.renderer.render(tokens, md.options, {})
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{body}</body>\n</html>\n")
