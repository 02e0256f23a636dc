"""Turn a scraped news page into a clean article: boilerplate out, every content paragraph verbatim.

A scraped page is the article framed by site furniture: a navigation line, the title repeated,
a byline, a comment counter, then after the article "You may also like", "Leave a Comment",
the site's blurb, widget headings and a cookie banner. The rules below recognise that furniture
by its shape (repeats of the title, short lines, known widget labels), never by the article's words.
Content paragraphs are copied character for character (curly quotes kept); only the line
breaks between blocks are normalised to one blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .files import write_text_atomic
from .text import fold, slugify

# Labels of widgets that end an article on news sites. Matching is on the whole line,
# case-insensitive, after trimming; any of them marks the end of the article body.
FOOTER_MARKERS = (
    "you may also like",
    "leave a comment",
    "leave a reply",
    "related posts",
    "related articles",
    "read more",
    "share this",
    "share this article",
    "comments",
    "previous post",
    "next post",
)
# Lines dropped wherever they stand.
_NOISE_LINE = re.compile(
    r"""^(
        \d+\s+comments?                       # comment counter
      | (this\s+(web)?site|we)\s+uses?\s+cookies.*   # cookie banner
      | privacy\s*&\s*cookies\s+policy.*
      | (edi?t[oi]r'?s|editors?)\s*’?s?\s+picks?  # "Editor's Picks", also the misspelt "Edtior's Picks"
      | latest\s+(articles|news|posts)
      | advertisement
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_BYLINE = re.compile(r"^by\s+(?P<author>[^\W\d_][\w.'’\- ]{1,80})$", re.IGNORECASE | re.UNICODE)
_PUBLISHER_BLURB = re.compile(
    r"\bWelcome to (?P<name>(?:The\s+)?[A-Z][\w&’'-]*(?:\s+[A-Z][\w&’'-]*){0,5})"
)


@dataclass
class CleanArticle:
    title: str
    author: str | None
    publisher: str | None
    paragraphs: list[str]
    source: str | None = None


def _blocks(raw: str) -> list[str]:
    """Non-empty lines of the page, each trimmed of trailing whitespace only."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def _find_title(lines: list[str]) -> str:
    """The title is the longest line that the page repeats (headline, breadcrumb, og:title...)."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.strip()] = counts.get(line.strip(), 0) + 1
    repeated = [line for line, n in counts.items() if n >= 2 and len(line.split()) >= 3]
    if repeated:
        return max(repeated, key=len)
    # No repeat: the first line that is not a navigation line and not a sentence.
    for line in lines:
        if len(line.split()) >= 3 and not line.rstrip().endswith("."):
            return line.strip()
    return lines[0].strip() if lines else ""


def clean_page(raw: str, source: str | None = None, publisher: str | None = None) -> CleanArticle:
    """Split a scraped page into title, byline, publisher and the article's content paragraphs."""
    lines = _blocks(raw)
    if not lines:
        return CleanArticle(title="", author=None, publisher=publisher, paragraphs=[], source=source)
    title = _find_title(lines)
    title_fold = fold(title)
    author: str | None = None
    paragraphs: list[str] = []
    footer: list[str] = []
    in_footer = False
    for line in lines:
        stripped = line.strip()
        folded = fold(stripped)
        if in_footer or (folded in FOOTER_MARKERS and paragraphs):
            in_footer = True
            footer.append(stripped)
            continue
        # The title, and navigation lines that end with it ("Home World <title>").
        if title_fold and (folded == title_fold or (folded.endswith(title_fold) and len(folded) - len(title_fold) < 60)):
            continue
        m = _BYLINE.match(stripped)
        if m and author is None and not paragraphs:
            author = m.group("author").strip()
            continue
        if _NOISE_LINE.match(stripped):
            continue
        paragraphs.append(stripped)
    if publisher is None:
        for line in footer:
            m = _PUBLISHER_BLURB.search(line)
            if m:
                publisher = m.group("name").rstrip(",. ")
                break
    return CleanArticle(
        title=title, author=author, publisher=publisher, paragraphs=paragraphs, source=source
    )


def document_id(title: str) -> str:
    """The doc id of an article: its title before any subtitle (": ..."), possessive 's dropped,
    as a slug ("Colombia’s Path to NATO Partnership: A ..." -> "colombia-path-to-nato-partnership")."""
    main_title = title.split(": ", 1)[0]
    return slugify(re.sub(r"[’']s\b", "", main_title))


def render_document(article: CleanArticle, doc_id: str | None = None) -> str:
    """The corpus file: front matter (metadata), the title, the byline, then the paragraphs."""
    doc_id = doc_id or document_id(article.title)
    meta = {"doc_id": doc_id, "title": article.title, "author": article.author,
            "publisher": article.publisher, "source": article.source}
    front = ["---"] + [f"{k}: {v}" for k, v in meta.items() if v] + ["---"]
    head = [f"# {article.title}"]
    if article.author:
        head.append(f"by {article.author}")
    return "\n".join(front) + "\n\n" + "\n\n".join(head + article.paragraphs) + "\n"


def source_label(page: Path, corpus_dir: Path) -> str:
    """How a document records the page it came from: its path from the project root (the corpus
    directory's parent, "corpus/sources/000_....txt") when it lies there, else its file name. The
    same whatever the working directory, so that importing a page again writes the same file."""
    try:
        return page.resolve().relative_to(corpus_dir.resolve().parent).as_posix()
    except ValueError:
        return page.name


def _existing_document(corpus_dir: Path, article: CleanArticle, doc_id: str) -> Path | None:
    """The corpus file that already holds this article: same doc id, same source page or same title."""
    from .corpus import SUPPORTED_SUFFIXES, parse_document

    if not corpus_dir.is_dir():
        return None
    for path in sorted(corpus_dir.iterdir()):
        if not path.is_file() or path.suffix not in SUPPORTED_SUFFIXES:
            continue
        try:
            meta = parse_document(path.read_text(encoding="utf-8"), str(path)).metadata
        except (OSError, UnicodeDecodeError):
            continue
        if (meta.get("doc_id") == doc_id or (article.source and meta.get("source") == article.source)
                or (article.title and meta.get("title") == article.title)):
            return path
    return None


def import_page(src: Path, corpus_dir: Path, doc_id: str | None = None, source_label: str | None = None) -> Path:
    """Clean a scraped page and write it into the corpus as ``<doc_id>.md``; returns the path.

    A document already holding the article (same doc id, source page or title) is replaced, not
    copied: the new file takes its place (and its doc id, unless ``doc_id`` is given)."""
    raw = src.read_text(encoding="utf-8")
    article = clean_page(raw, source=source_label or src.name)
    if not article.paragraphs:
        from .errors import CorpusError

        raise CorpusError(f"No article text found in {src}: is it a scraped article page?")
    existing = _existing_document(corpus_dir, article, doc_id or document_id(article.title))
    if doc_id is None and existing is not None:
        from .corpus import parse_document

        doc_id = parse_document(existing.read_text(encoding="utf-8")).metadata.get("doc_id")
    doc_id = doc_id or document_id(article.title)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    out = corpus_dir / f"{doc_id}.md"
    write_text_atomic(out, render_document(article, doc_id))
    if existing is not None and existing.resolve() != out.resolve():
        existing.unlink()
    return out
