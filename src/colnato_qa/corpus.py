"""Load the documents of a corpus directory (``*.md`` and ``*.txt``), with metadata and blocks.

A document file may start with front matter, ``key: value`` lines between two ``---`` lines
(doc_id, title, author, publisher, source, date ...). Its body is split into blocks at blank
lines; each block keeps its character offsets into the file text, so every passage and every
answer can point back into the file exactly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError
from .text import slugify
from .types import Span

SUPPORTED_SUFFIXES = (".md", ".txt")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_META_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*)$")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
_HEADING = re.compile(r"^#{1,6}[ \t]+")
_BYLINE = re.compile(r"^by\s+\S.{0,80}$", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """A run of text between blank lines. ``kind``: metadata, title, heading, byline or paragraph."""

    kind: str
    span: Span


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str                       # the whole file, verbatim
    path: str
    metadata: dict[str, str] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()

    @property
    def author(self) -> str | None:
        return self.metadata.get("author")

    @property
    def publisher(self) -> str | None:
        return self.metadata.get("publisher")

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def block_text(self, block: Block) -> str:
        return self.text[block.span.start:block.span.end]


def parse_document(text: str, path: str = "<memory>") -> Document:
    """Parse one document's text (front matter optional)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    metadata: dict[str, str] = {}
    blocks: list[Block] = []
    body_start = 0
    m = _FRONT_MATTER.match(text)
    if m:
        for line in m.group("body").split("\n"):
            lm = _META_LINE.match(line.strip())
            if lm and lm.group("value").strip():
                metadata[lm.group("key").lower()] = lm.group("value").strip()
        blocks.append(Block("metadata", Span(m.start("body"), m.end("body"))))
        body_start = m.end()

    pos = body_start
    raw_blocks: list[Span] = []
    for sep in list(_BLANK_LINES.finditer(text, body_start)) + [None]:
        end = sep.start() if sep else len(text)
        chunk = text[pos:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk) - len(chunk.rstrip())
            raw_blocks.append(Span(pos + lead, end - trail))
        if sep is None:
            break
        pos = sep.end()

    title = metadata.get("title")
    seen_paragraph = False
    for i, span in enumerate(raw_blocks):
        chunk = text[span.start:span.end]
        hm = _HEADING.match(chunk)
        if hm and "\n" not in chunk:
            kind = "title" if (not seen_paragraph and not any(b.kind == "title" for b in blocks)) else "heading"
            span = Span(span.start + hm.end(), span.end)
            if kind == "title" and title is None:
                title = chunk[hm.end():].strip()
            blocks.append(Block(kind, span))
            continue
        if not seen_paragraph and _BYLINE.match(chunk) and "\n" not in chunk:
            blocks.append(Block("byline", span))
            metadata.setdefault("author", chunk.split(None, 1)[1].strip())
            continue
        if i == 0 and title is None and len(chunk) < 200 and "\n" not in chunk and not chunk.endswith("."):
            title = chunk.strip()
            blocks.append(Block("title", span))
            continue
        seen_paragraph = True
        blocks.append(Block("paragraph", span))

    stem = Path(path).stem
    title = title or stem
    doc_id = metadata.get("doc_id") or slugify(stem)
    metadata.setdefault("title", title)
    return Document(doc_id=doc_id, title=title, text=text, path=path, metadata=metadata, blocks=tuple(blocks))


def load_corpus(corpus_dir: str | Path) -> list[Document]:
    """Every ``.md``/``.txt`` document directly in ``corpus_dir``, sorted by file name."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"Corpus directory {corpus_dir} does not exist. Create it and put the article there "
            f"(colnato-qa import-page PAGE.txt --corpus {corpus_dir})."
        )
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                   and not p.name.startswith(".") and p.name.lower() != "readme.md")
    if not files:
        raise CorpusError(
            f"Corpus directory {corpus_dir} holds no documents (looked for {', '.join(SUPPORTED_SUFFIXES)} files)."
        )
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"Document {f} is not UTF-8 text: {exc}") from exc
        except OSError as exc:
            raise CorpusError(f"Cannot read document {f}: {exc.strerror or exc}") from exc
        doc = parse_document(text, path=str(f))
        if not any(b.kind == "paragraph" for b in doc.blocks):
            raise CorpusError(f"Document {f} has no paragraphs of text.")
        if doc.doc_id in seen:
            raise CorpusError(f"Documents {seen[doc.doc_id]} and {f} share the doc_id {doc.doc_id!r}; give one another doc_id.")
        seen[doc.doc_id] = str(f)
        docs.append(doc)
    return docs


def corpus_hash(documents: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(documents, key=lambda d: d.doc_id):
        h.update(d.doc_id.encode())
        h.update(b"\0")
        h.update(d.content_hash.encode())
    return h.hexdigest()
