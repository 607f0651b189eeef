"""The report set as a site: every link and image resolves under any --out folder, the HTML
index sits beside README.md, HTML pages link HTML pages, tables carry what the stacked layout
needs, and the pooled tests come in the terminal's order."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from rich.console import Console
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app
from eventstudy.present.common import TEST_ORDER
from eventstudy.present.html import html_path, to_html
from eventstudy.present.markdown import drop_missing
from eventstudy.present.terminal import aggregate_panel

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "eventstudy" / "events.toml"
runner = CliRunner()


def _report(out: Path, *args: str) -> None:
    result = runner.invoke(app, ["report", *args, "--out", str(out), "--events", str(PACKAGED)])
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``report --all`` with figures into a fresh folder (not the default ``reports/``)."""
    out = tmp_path_factory.mktemp("site") / "nested" / "out"
    _report(out, "--all")
    return out


# --- reading links back out of the written files ------------------------------------------

class _Refs(HTMLParser):
    """Every ``href`` and ``src`` of an HTML page, and its tables as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tables: list[list[list[tuple[str, str, dict]]]] = []
        self._cell: list[str] | None = None
        self._attrs: dict = {}

    def handle_starttag(self, tag, attrs) -> None:
        found = dict(attrs)
        self.refs += [v for k, v in attrs if k in ("href", "src") and v is not None]
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._attrs = [], found

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append((tag, "".join(self._cell).strip(), self._attrs))
            self._cell = None

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_refs(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text("utf-8"))
    return parser


def markdown_refs(path: Path) -> list[str]:
    """Link targets and image sources of a Markdown file, as a CommonMark reader sees them."""
    md = MarkdownIt("commonmark").enable("table")
    refs = []
    for token in md.parse(path.read_text("utf-8")):
        for child in token.children or ():
            if child.type == "link_open":
                refs.append(str(child.attrGet("href")))
            elif child.type == "image":
                refs.append(str(child.attrGet("src")))
    return refs


def refs_of(path: Path) -> list[str]:
    return html_refs(path).refs if path.suffix == ".html" else markdown_refs(path)


def broken(root: Path) -> list[str]:
    """``file -> target`` for every local reference of root's pages that names no file."""
    out = []
    for page in sorted([*root.rglob("*.md"), *root.rglob("*.html")]):
        for ref in refs_of(page):
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "mailto", "data") or not parts.path:
                continue  # external, embedded, or an anchor of the page itself
            assert not parts.scheme and not parts.netloc, f"{page.name}: absolute {ref}"
            assert not parts.path.startswith("/"), f"{page.name}: absolute path {ref}"
            if not (page.parent / unquote(parts.path)).is_file():
                out.append(f"{page.relative_to(root)} -> {ref}")
    return out


def local_pages(path: Path) -> list[str]:
    """The local pages (not images) a page links to."""
    return [urlsplit(r).path for r in refs_of(path)
            if not urlsplit(r).scheme and urlsplit(r).path.endswith((".md", ".html"))]


# --- links ------------------------------------------------------------------------------------

def test_the_checker_finds_what_is_broken(tmp_path) -> None:
    (tmp_path / "a.md").write_text("[x](missing.md) ![i](figures/none.png) [ok](a.md#top) "
                                   "[self](#here) <https://example.org>\n", "utf-8")
    (tmp_path / "b.html").write_text('<a href="gone.html#x">g</a><a href="a.md">a</a>'
                                     '<img src="data:image/png;base64,AAAA">', "utf-8")
    assert broken(tmp_path) == ["a.md -> missing.md", "a.md -> figures/none.png",
                                "b.html -> gone.html#x"]


def test_drop_missing_keeps_text_and_drops_lone_lines() -> None:
    text = ("[All events](README.md)\n\nbody\n\n![f](figures/x.png)\n\n"
            "| [e](e.md) | [f](f.md#a) | <https://x.org> | [w](https://a.b/c.md) |\n")
    kept = drop_missing(text, lambda rel: rel == "f.md")
    assert kept == "body\n\n| e | [f](f.md#a) | <https://x.org> | [w](https://a.b/c.md) |\n"
    assert drop_missing(text, lambda rel: True) == text


def test_html_links_html_twins_and_drops_missing() -> None:
    assert html_path("README.md") == "index.html" and html_path("d/x.md") == "d/x.html"
    page = to_html("[All events](README.md) · [e](e.md#t) · [w](https://a.b/c.md)", "t", {},
                   keep=lambda rel: rel == "e.html")
    assert 'href="e.html#t"' in page and 'href="https://a.b/c.md"' in page
    assert "index.html" not in page and "All events" in page


def test_every_link_and_image_of_the_set_resolves(site) -> None:
    assert broken(site) == []
    pages = [*site.glob("*.md"), *site.glob("*.html")]
    assert len(pages) > 10
    images = [r for p in site.glob("*.md") for r in markdown_refs(p) if r.endswith(".png")]
    assert images and all((site / r).is_file() for r in images)


def test_index_html_beside_readme_with_the_same_rows(site) -> None:
    assert (site / "README.md").is_file() and (site / "index.html").is_file()
    readme = (site / "README.md").read_text("utf-8")
    md_rows = [line for line in readme.splitlines() if line.startswith("| [")]
    tables = html_refs(site / "index.html").tables
    assert len(tables) == 1 and len(tables[0]) == 1 + len(md_rows)  # header and one per event
    md_targets = local_pages(site / "README.md")
    html_targets = local_pages(site / "index.html")
    assert html_targets == [t.removesuffix(".md") + ".html" for t in md_targets]


def test_html_pages_link_the_html_index_and_markdown_pages_readme(site) -> None:
    for page in site.glob("*.html"):
        targets = local_pages(page)
        assert not [t for t in targets if t.endswith(".md")], page.name  # no raw Markdown
        if page.name != "index.html":
            assert "index.html" in targets, page.name
    for page in site.glob("*.md"):
        if page.name != "README.md":
            assert "README.md" in local_pages(page), page.name
            assert (site / page.name.replace(".md", ".html")).is_file(), page.name


def test_markdown_only_set_has_no_dangling_image(tmp_path) -> None:
    _report(tmp_path, "--all", "--no-figures")
    assert broken(tmp_path) == []
    assert not list(tmp_path.glob("*.html")) and (tmp_path / "README.md").is_file()
    assert "README.md" in local_pages(tmp_path / "dual-use-ban.md")


def test_one_event_into_an_empty_folder_links_no_missing_index(tmp_path) -> None:
    _report(tmp_path, "dual-use-ban")
    assert broken(tmp_path) == []
    assert not (tmp_path / "README.md").exists() and not (tmp_path / "index.html").exists()
    assert (tmp_path / "dual-use-ban.html").is_file()
    assert "README.md" not in local_pages(tmp_path / "dual-use-ban.md")


def test_one_event_into_a_set_links_the_index_it_finds(tmp_path) -> None:
    """A Markdown-only set has README.md but no index.html: the new Markdown page links the
    one, the new HTML page does not link the other."""
    _report(tmp_path, "--all", "--no-figures")
    _report(tmp_path, "dual-use-ban")
    assert broken(tmp_path) == []
    assert "README.md" in local_pages(tmp_path / "dual-use-ban.md")
    assert "index.html" not in local_pages(tmp_path / "dual-use-ban.html")


def test_one_tag_links_only_the_events_that_are_there(tmp_path) -> None:
    _report(tmp_path, "dual-use-ban", "--no-figures")
    _report(tmp_path, "--tag", "escalation", "--no-figures")
    assert broken(tmp_path) == []
    assert local_pages(tmp_path / "tag-escalation.md") == ["dual-use-ban.md"]


def test_an_event_that_cannot_be_studied_gets_both_pages() -> None:
    from eventstudy.present import build

    event = es.load_events(PACKAGED).event("dual-use-ban")
    files = build.site_files([build._not_studied(event, "no prices | at all")], figures=True)
    assert sorted(files) == ["dual-use-ban.html", "dual-use-ban.md"]
    assert "[All events](README.md)" in files["dual-use-ban.md"].decode()
    assert 'href="index.html"' in files["dual-use-ban.html"].decode()
    assert "no prices \\| at all" in files["dual-use-ban.md"].decode()


# --- tables -----------------------------------------------------------------------------------

def test_every_body_cell_is_labelled_with_its_column(site) -> None:
    """The narrow layout shows each cell with its column's name (CSS ``attr(data-label)``)."""
    for name in ("index.html", "dual-use-ban.html", "tag-escalation.html"):
        for table in html_refs(site / name).tables:
            header = [text for tag, text, _ in table[0]]
            assert all(tag == "th" for tag, _, _ in table[0])
            for row in table[1:]:
                assert [a.get("data-label") for _, _, a in row] == header, name


def test_tables_never_scroll_sideways(site) -> None:
    style = re.search(r"<style>(.*?)</style>", (site / "index.html").read_text("utf-8"), re.S)
    assert style is not None
    assert "overflow-x" not in style.group(1) and "overflow: auto" not in style.group(1)


# --- order of the tests ------------------------------------------------------------------------

def _test_keys(table) -> tuple[list[str], list[str]]:
    """Test keys of a table: as column headers and as row labels."""
    columns = [text for tag, text, _ in table[0] if text in TEST_ORDER or "_" in text]
    rows = [row[0][1] for row in table[1:] if row and row[0][1] in TEST_ORDER]
    return columns, rows


def _terminal_order(aggregate) -> list[str]:
    buffer = StringIO()
    Console(file=buffer, width=200, color_system=None).print(aggregate_panel(aggregate))
    first = [line.strip("│ ").split(" ")[0] for line in buffer.getvalue().splitlines()]
    keys = [k for k in first if k in TEST_ORDER]
    return keys[: len(keys) // 2]  # the day table, then the window table: same rows


@pytest.mark.parametrize("page", ["dual-use-ban", "tag-escalation"])
def test_pooled_tests_in_the_terminals_order(site, page) -> None:
    if page.startswith("tag-"):
        from eventstudy.study.pooled import run_many

        aggregate = run_many(tag=page.removeprefix("tag-"), events=PACKAGED).aggregate
    else:
        aggregate = es.run(page, events=PACKAGED).aggregate
    terminal = _terminal_order(aggregate)
    assert terminal == [k for k in TEST_ORDER if k in terminal]
    assert {"j1", "j2", "portfolio_t"} <= set(terminal)
    found = [_test_keys(t) for t in html_refs(site / f"{page}.html").tables]
    columns = next(c for c, _ in found if len(c) > 3)
    rows = next(r for _, r in found if len(r) > 3)
    assert columns == terminal and rows == terminal
    text = (site / f"{page}.md").read_text("utf-8")
    header = next(line for line in text.splitlines() if line.startswith("| t | N | AAR |"))
    assert re.findall(r"`([a-z0-9_]+)`", header) == terminal
