"""Turn a scraped news page into a clean article: boilerplate out, every content paragraph verbatim.

A scraped page is the article framed by site furniture: navigation, the title repeated, a byline,
share buttons, then after the article related links, comment widgets, a newsletter pitch, the
site's blurb, a footer and a cookie banner. Sites differ in every label, so the article is found by
the shape of its text, not by any one site's words:

- a *prose* line is a paragraph: at least PROSE_MIN_WORDS words, ends like a sentence, mostly
  lower-case words (link lists and headlines are title case), no web-furniture vocabulary
  (cookies, subscribe, newsletter, sign in, all rights reserved ...);
- the article body is the longest run of prose lines (by characters) in which prose lines are at
  most MAX_GAP other lines apart, ended early by a widget label such as "You may also like";
- inside the body, a short line is kept when it ends like a sentence or introduces a list
  (ends with ":"), and dropped otherwise: a link, a caption, a sub-heading. Those dropped lines and
  any other run of prose outside the body are reported (``uncertain``, ``other_prose``): what the
  cleaner could not tell apart, for a person to check.

The title is the line the page repeats or the line above the byline; the publisher comes from the
footer ("Welcome to ...", "© 2025 ..."). Content paragraphs are copied character for character
(curly quotes kept); only the line breaks between blocks are normalised to one blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
    "related stories",
    "read more",
    "more stories",
    "more from this section",
    "most read",
    "most popular",
    "share this",
    "share this article",
    "share this story",
    "comments",
    "previous post",
    "next post",
)
# A paragraph of the article has at least this many words; the body may hold at most MAX_GAP
# non-prose lines in a row (a list's lead-in, a sub-heading, an advertisement label).
PROSE_MIN_WORDS = 12
MAX_GAP = 2
# Above this share of capitalised words a line is a headline or a list of links, not prose.
MAX_TITLE_CASE_SHARE = 0.6
# Another run of prose outside the body is reported when it has at least this many paragraphs.
OTHER_PROSE_MIN_LINES = 2
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
# Words of site furniture on any site: a line holding one is not a paragraph of the article.
_FURNITURE = re.compile(
    r"""\b(cookies?|subscribe|newsletter|sign\s+(up|in)|log\s+in|all\s+rights\s+reserved|terms\s+of\s+(use|service)
      |privacy\s+policy|share\s+(this|on|via)|follow\s+us|copy\s+link|advertisement|sponsored)\b|©""",
    re.IGNORECASE | re.VERBOSE,
)
_SENTENCE_END = (".", "!", "?", "…", "”", '"', "’", "'", ")")
_BYLINE = re.compile(
    r"^by\s+(?P<author>[^\W\d_][\w.'’\- ]{1,80}?)\s*(?:[|•·,–—]\s*.*)?$", re.IGNORECASE | re.UNICODE)
_PUBLISHER_BLURB = re.compile(
    r"\bWelcome to (?P<name>(?:The\s+)?[A-Z][\w&’'-]*(?:\s+[A-Z][\w&’'-]*){0,5})"
)
_COPYRIGHT = re.compile(r"©\s*(?:\d{4}\s*[-–]?\s*)*(?P<name>(?:The\s+)?[A-Z][\w&’'-]*(?:\s+(?:of\s+|and\s+)?[A-Z][\w&’'-]*){0,6})")
_WORD = re.compile(r"[^\W\d_][\w’'-]*", re.UNICODE)


@dataclass
class CleanArticle:
    title: str
    author: str | None
    publisher: str | None
    paragraphs: list[str]
    source: str | None = None
    # Short lines inside the article that were dropped as links, captions or sub-headings.
    uncertain: list[str] = field(default_factory=list)
    # Paragraph-like lines elsewhere on the page, not imported (comments, a second story, a blurb).
    other_prose: list[str] = field(default_factory=list)


def _blocks(raw: str) -> list[str]:
    """Non-empty lines of the page, each trimmed of trailing whitespace only."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def _title_case_share(line: str) -> float:
    """The share of words of three letters or more that start with a capital letter."""
    long_words = [w for w in _WORD.findall(line) if len(w) >= 3]
    if not long_words:
        return 1.0
    return sum(w[0].isupper() for w in long_words) / len(long_words)


def _ends_like_a_sentence(line: str) -> bool:
    return line.rstrip().endswith(_SENTENCE_END)


def is_prose(line: str) -> bool:
    """A paragraph of running text, by its shape alone (length, ending, case, no furniture words)."""
    stripped = line.strip()
    return (len(stripped.split()) >= PROSE_MIN_WORDS and _ends_like_a_sentence(stripped)
            and _title_case_share(stripped) <= MAX_TITLE_CASE_SHARE and not _FURNITURE.search(stripped))


def _is_footer_marker(line: str) -> bool:
    return fold(line.strip()).rstrip(":") in FOOTER_MARKERS


def _prose_runs(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line numbers of each run of prose lines at most MAX_GAP lines apart; a widget
    label ("You may also like") ends a run."""
    runs: list[tuple[int, int]] = []
    first = last = None
    for i, line in enumerate(lines):
        if _is_footer_marker(line):
            if first is not None:
                runs.append((first, last))
            first = last = None
            continue
        if not is_prose(line):
            continue
        if first is not None and i - last - 1 > MAX_GAP:
            runs.append((first, last))
            first = None
        if first is None:
            first = i
        last = i
    if first is not None:
        runs.append((first, last))
    return runs


def _find_title(lines: list[str], before: int) -> str:
    """The title: the longest line above the article that the page repeats, alone or inside another line
    (headline, breadcrumb "Home › ... › <title>", window title "<title> | <site>"); else the line above
    the byline; else the last headline-like line above the article."""
    head = lines[:before] or lines
    folded = [fold(line) for line in lines]
    repeated = [line.strip() for line in head if len(line.split()) >= 3 and not _FURNITURE.search(line)
                and sum(fold(line) in other for other in folded) >= 2]
    if repeated:
        return max(repeated, key=len)
    for i, line in enumerate(head):
        if i > 0 and _BYLINE.match(line.strip()) and len(head[i - 1].split()) >= 3:
            return head[i - 1].strip()
    candidates = [line.strip() for line in head if len(line.split()) >= 3 and not _ends_like_a_sentence(line)
                  and not _FURNITURE.search(line)]
    if candidates:
        return candidates[-1]
    return lines[0].strip() if lines else ""


def _publisher(lines: list[str]) -> str | None:
    for pattern in (_PUBLISHER_BLURB, _COPYRIGHT):
        for line in lines:
            m = pattern.search(line)
            if m:
                return m.group("name").rstrip(",. ")
    return None


def clean_page(raw: str, source: str | None = None, publisher: str | None = None) -> CleanArticle:
    """Split a scraped page into title, byline, publisher and the article's content paragraphs."""
    lines = _blocks(raw)
    if not lines:
        return CleanArticle(title="", author=None, publisher=publisher, paragraphs=[], source=source)
    runs = _prose_runs(lines)
    body = max(runs, key=lambda r: sum(len(lines[i]) for i in range(r[0], r[1] + 1) if is_prose(lines[i]))) \
        if runs else (len(lines), len(lines) - 1)
    title = _find_title(lines, body[0])
    title_fold = fold(title)
    author: str | None = None
    for line in lines[:body[0]]:
        m = _BYLINE.match(line.strip())
        if m:
            author = m.group("author").strip()
            break
    paragraphs: list[str] = []
    uncertain: list[str] = []
    for line in lines[body[0]:body[1] + 1]:
        stripped = line.strip()
        folded = fold(stripped)
        # The title, and navigation lines that end with it ("Home World <title>").
        if title_fold and (folded == title_fold or (folded.endswith(title_fold) and len(folded) - len(title_fold) < 60)):
            continue
        if _NOISE_LINE.match(stripped):
            continue
        if is_prose(stripped) or (not _FURNITURE.search(stripped) and (
                stripped.endswith(":") or (_ends_like_a_sentence(stripped) and _title_case_share(stripped) < 0.5))):
            paragraphs.append(stripped)
        else:
            uncertain.append(stripped)
    # A pull quote repeats a sentence of the article: kept once, where it stands in the text.
    paragraphs = [p for i, p in enumerate(paragraphs)
                  if not (len(p) < 300 and any(p in q and p != q for j, q in enumerate(paragraphs) if j != i))]
    outside = lines[:body[0]] + lines[body[1] + 1:]
    other_prose = [line.strip() for line in outside if is_prose(line)]
    if len(other_prose) < OTHER_PROSE_MIN_LINES:
        other_prose = []
    return CleanArticle(
        title=title, author=author, publisher=publisher or _publisher(lines[body[1] + 1:]), paragraphs=paragraphs,
        source=source, uncertain=uncertain, other_prose=other_prose,
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


def import_page(src: Path, corpus_dir: Path, doc_id: str | None = None,
                source_label: str | None = None) -> tuple[Path, CleanArticle]:
    """Clean a scraped page and write it into the corpus as ``<doc_id>.md``; returns the path and the
    cleaned article (whose ``uncertain`` and ``other_prose`` say what the cleaner could not tell apart).

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
    return out, article


def describe_import(article: CleanArticle, out: Path) -> list[str]:
    """What ``import-page`` prints: what it kept, what it found no value for, and the lines it could not
    tell apart from the page's furniture, for a person to check in ``out``."""
    said = [f"kept {len(article.paragraphs)} paragraphs of \"{article.title}\""]
    missing = [name for name, value in (("author", article.author), ("publisher", article.publisher)) if not value]
    if missing:
        said.append(f"no {' or '.join(missing)} found on the page: add a line like \"{missing[0]}: ...\" to the "
                    f"front matter of {out} if you know it")
    if article.uncertain:
        said.append(f"dropped {len(article.uncertain)} short line(s) inside the article that look like links, "
                    f"captions or sub-headings; add back to {out} any that belong to the article:")
        said += [f"  {_shorten(line)}" for line in article.uncertain]
    if article.other_prose:
        said.append(f"not imported: {len(article.other_prose)} paragraph-like line(s) outside the article "
                    f"(comments, another story or the site's blurb?):")
        said += [f"  {_shorten(line)}" for line in article.other_prose]
    return said


def _shorten(line: str, limit: int = 100) -> str:
    return line if len(line) <= limit else line[:limit - 3] + "..."
