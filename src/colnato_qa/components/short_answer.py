"""Short answers: the minimal phrase of the quoted sentence that answers the question (a date, a
number, a person, a place, the expansion of an acronym, a list, the noun phrase a what/which
question asks for, the clause a why question asks for), like a search engine's featured snippet.

Serving parses nothing: the index holds every passage's syntax from the build-time annotator
(components/annotator.py: tokens with part of speech, dependency relation and head; noun chunks;
named entities). ``ShortAnswerExtractor.run`` only reads that parse and the question's words.

How a phrase is chosen (general English, never one article's words):

1. What the question asks for (``asked_for``): from the question word of its main clause (the
   part before a subordinate "when/while/as/..." clause), with ``question.answer_type``'s kinds.
2. Candidates: every constituent of the quoted sentence(s) (each token's subtree), cut variants
   of it (without a leading preposition or conjunction; a noun phrase without the clause or
   apposition that follows it), its base noun phrases and its named entities.
3. Each candidate is scored: it must bring words the question does not have; it gains when it is
   of the kind asked for (a DATE entity for "when", a PERSON for "who", a noun phrase headed by the
   question's focus noun for "which agreement"...), when it hangs in the parse close to the words
   it shares with the question, and loses with length and with words it repeats from the question.
4. The best candidate is the short answer, unless none scores above ``min_score`` or it is nearly
   the whole quote (then there is no shorter phrase that answers: ``None``).

    >>> from colnato_qa.types import Span
    >>> text = "It was signed in 2021 by the minister."
    >>> tokens = [[0, 2, "PRP", "PRON", "nsubjpass", 2], [3, 6, "VBD", "AUX", "auxpass", 2],
    ...           [7, 13, "VBN", "VERB", "ROOT", 2], [14, 16, "IN", "ADP", "prep", 2],
    ...           [17, 21, "CD", "NUM", "pobj", 3], [22, 24, "IN", "ADP", "agent", 2],
    ...           [25, 28, "DT", "DET", "det", 7], [29, 37, "NN", "NOUN", "pobj", 5],
    ...           [37, 38, ".", "PUNCT", "punct", 2]]
    >>> parse = ParsedText.from_annotations(text, {"tokens": tokens, "chunks": [[25, 37]]}, [[17, 21, "DATE"]])
    >>> span = ShortAnswerExtractor().run("When was it signed?", text, Span(0, len(text)), parse)
    >>> text[span.start:span.end]
    '2021'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import question as qmod
from ..lexicon import QUESTION_PREPOSITIONS, SPAN_KIND_LABELS
from ..text import content_terms
from ..types import Span
from .expansions import letters_in_order

# -- what the question asks for --------------------------------------------------------------------
DATE, NUMBER, PERSON, PLACE, EXPANSION, REASON, THING, ACTION = (
    "date", "number", "person", "place", "expansion", "reason", "thing", "action")

# A subordinate clause after the main one ("... when engaging with X?"): its question words do
# not say what is asked for.
_SUBORDINATE_RE = re.compile(r"\s(?:when|while|as|after|before|because|if|although|though|once|until|unless|whereas)\s",
                             re.I)
# "which agreement", "what kind of institutions", "in what type of warfare": the focus noun phrase.
_FOCUS_RE = re.compile(
    r"\b(?:what|which|whose)\s+(?:(?:kind|kinds|type|types|sort|sorts|form|forms)\s+of\s+)?"
    r"(?P<focus>(?:(?!(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must)\b)"
    r"[\w’'-]+\s+){0,3}?)(?=(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must)\b)",
    re.I)
# A preposition that opens the question before its question word, or ends it ("... come with what?").
_PREPOSITIONS = "|".join(QUESTION_PREPOSITIONS)
_LEADING_PREP_RE = re.compile(rf"^\s*(?P<prep>{_PREPOSITIONS})\s+(?:what|which|whom|whose|how)\b", re.I)
_TRAILING_PREP_RE = re.compile(rf"\b(?P<prep>{_PREPOSITIONS})(?:\s+what)?\s*\?*\s*$", re.I)
# "What has X allowed Y to do?", "What does X aim to do?": the answer is a verb phrase.
_ACTION_RE = re.compile(r"\bto do\b|\bwhat\b.*\b(do|doing)\s*\??\s*$", re.I)
_KIND_OF = {qmod.YEAR: DATE, qmod.NUMBER: NUMBER, qmod.PERSON: PERSON, qmod.PLACE: PLACE,
            qmod.EXPANSION: EXPANSION, qmod.REASON: REASON}


@dataclass(frozen=True)
class ShortCandidate:
    """The phrase ``ShortAnswerExtractor.best`` chose: where it is, its score and the kind asked for."""

    span: Span
    score: float
    kind: str


@dataclass(frozen=True)
class AskedFor:
    """What a question asks for: the kind of answer, its focus words (stemmed), its words (stemmed)."""

    kind: str
    focus: frozenset[str]
    terms: frozenset[str]
    acronyms: tuple[str, ...] = ()
    preposition: str = ""     # "with" of "With which group ...?" or of "... come with what?"


def main_clause(question: str) -> str:
    """The question up to its first subordinate clause ("What must X do when Y?" -> "What must X do")."""
    m = _SUBORDINATE_RE.search(question, 1)
    return question[:m.start()] if m else question


def asked_for(question: str) -> AskedFor:
    """The kind of answer ``question`` asks for, with its focus and content words."""
    kind = qmod.answer_type(main_clause(question))
    if kind == qmod.DEFINITION and re.match(r"\s*who\b", question, re.I):
        kind = qmod.PERSON     # "Who was in charge?" asks for a person, not a definition
    if kind == qmod.OTHER and qmod.answer_type(question) == qmod.EXPANSION:
        kind = qmod.EXPANSION
    m = _FOCUS_RE.search(question)
    focus = frozenset(content_terms(m.group("focus"))) if m else frozenset()
    mapped = _KIND_OF.get(kind, THING)
    if mapped == THING and _ACTION_RE.search(question):
        mapped = ACTION
    prep = _LEADING_PREP_RE.search(question) or _TRAILING_PREP_RE.search(question)
    return AskedFor(mapped, focus, frozenset(content_terms(question)), tuple(qmod.acronyms(question)),
                    prep.group("prep").lower() if prep else "")


# -- the stored parse --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    start: int
    end: int
    tag: str
    pos: str
    dep: str
    head: int
    terms: frozenset[str]
    word: str = ""      # the token's text, lower-cased


@dataclass
class ParsedText:
    """One passage's parse, read from the index's annotations (``annotations["syntax"][id]``)."""

    tokens: list[Token]
    chunks: list[tuple[int, int]]
    entities: list[tuple[int, int, str]]
    children: list[list[int]] = field(default_factory=list)

    @classmethod
    def from_annotations(cls, text: str, syntax: Mapping[str, Any], entities: Sequence[Sequence[Any]] = ()) -> "ParsedText":
        """Raises ValueError (KeyError, TypeError) when the stored parse does not fit ``text``."""
        tokens = []
        raw = syntax["tokens"]
        for start, end, tag, pos, dep, head in raw:
            start, end, head = int(start), int(end), int(head)
            if not (0 <= start <= end <= len(text) and 0 <= head < len(raw)):
                raise ValueError("a stored token lies outside its passage")
            word = text[start:end]
            terms = frozenset() if pos in ("PUNCT", "SPACE") or tag == "POS" else frozenset(content_terms(word))
            tokens.append(Token(start, end, str(tag), str(pos), str(dep), head, terms, word.lower()))
        children: list[list[int]] = [[] for _ in tokens]
        for i, t in enumerate(tokens):
            if t.head != i:
                children[t.head].append(i)
        return cls(tokens, [(int(a), int(b)) for a, b in syntax.get("chunks", [])],
                   [(int(a), int(b), str(label)) for a, b, label in entities], children)


@dataclass(frozen=True)
class _Candidate:
    first: int        # token indices, inclusive
    last: int
    root: int
    label: str = ""   # entity label when the candidate is a named entity


# Dependency relations of what follows a noun phrase's core: a clause, an apposition, a parenthesis.
_TRAILING = frozenset({"relcl", "acl", "appos", "punct", "advcl"})
# Relations of a word that only modifies another: a candidate rooted in one is a fragment.
_MODIFIERS = frozenset({"compound", "amod", "poss", "case", "det", "nmod", "advmod", "aux", "auxpass", "neg", "prt",
                        "quantmod", "punct", "cc", "mark", "preconj", "predet", "nummod", "acl", "relcl"})
# "areas such as X, Y", "benefits, including X": X are instances of the noun before.
_INSTANCE_RE = re.compile(r"^(?:such as|like|including|include|includes|namely|as)$", re.I)
# Relations that open a constituent without belonging to the answer: "and", "as", "to", "that".
_OPENERS = frozenset({"cc", "mark", "punct", "prep", "agent", "aux", "det", "advmod", "preconj"})
_REASON_OPENERS = re.compile(r"^(?:because|as|since|for|so|to|in order to|due to|owing to|thanks to)$", re.I)
_OPEN_QUOTES = "“‘\"'("
_CLOSE_QUOTES = {"“": "”", "‘": "’", '"': '"', "'": "'", "(": ")"}


class ShortAnswerExtractor:
    """Picks the short answer inside an answer span; the scoring weights are settings, tuned on the
    dev split of corpus/gold/squad_v2.json: `python scripts/tune_short_answer.py --check` confirms
    that a coordinate search from them keeps them."""

    def __init__(self, max_words: int = 20, min_score: float = 0.0, max_share: float = 0.8,
                 kind_weight: float = 2.0, anchor_weight: float = 1.0, overlap_weight: float = 1.5,
                 length_weight: float = 0.06, focus_weight: float = 1.0, noun_weight: float = 0.5,
                 modifier_weight: float = 1.0, new_weight: float = 0.3, preposition_weight: float = 1.0):
        self.max_words = max_words
        self.min_score = min_score
        self.max_share = max_share
        self.kind_weight = kind_weight
        self.anchor_weight = anchor_weight
        self.overlap_weight = overlap_weight
        self.length_weight = length_weight
        self.focus_weight = focus_weight
        self.noun_weight = noun_weight
        self.modifier_weight = modifier_weight
        self.new_weight = new_weight
        self.preposition_weight = preposition_weight

    def run(self, question: str, text: str, span: Span, parse: ParsedText | None) -> Span | None:
        """The short answer's offsets into ``text`` (inside ``span``), or None when no phrase shorter
        than the span answers (or there is no parse)."""
        found = self.best(question, text, span, parse)
        return None if found is None else found.span

    def best(self, question: str, text: str, span: Span, parse: ParsedText | None) -> "ShortCandidate | None":
        """``run``'s phrase with what the short answer's confidence is read from: its score and the kind asked."""
        if parse is None or not question.strip():
            return None
        inside = [i for i, t in enumerate(parse.tokens) if span.start <= t.start and t.end <= span.end]
        if not inside:
            return None
        asked = asked_for(question)
        scored = self.ranked(asked, text, parse, inside)
        if not scored:
            return None
        score, best = scored[0]
        out = self._offsets(text, parse, best)
        whole = len(text[span.start:span.end].strip())
        if score < self.min_score or out is None or len(out) >= self.max_share * whole:
            return None
        return ShortCandidate(out, score, asked.kind)

    # -- candidates -------------------------------------------------------------------------------
    def ranked(self, asked: AskedFor, text: str, parse: ParsedText, inside: list[int]) -> list[tuple[float, _Candidate]]:
        lo, hi = inside[0], inside[-1]
        tree = _Tree(parse, lo, hi)
        matched = {i for i in inside if parse.tokens[i].terms & asked.terms}
        seen: set[tuple[int, int]] = set()
        out = []
        for cand in self._candidates(asked, parse, tree, lo, hi):
            cand = self._trim(parse, cand)
            if cand is None or (cand.first, cand.last) in seen:
                continue
            seen.add((cand.first, cand.last))
            score = self._score(asked, parse, tree, matched, cand)
            if score is not None:
                out.append((score, cand))
        out.sort(key=lambda sc: (-sc[0], sc[1].first, sc[1].last))
        return out

    def _candidates(self, asked: AskedFor, parse: ParsedText, tree: "_Tree", lo: int, hi: int):
        toks = parse.tokens
        for i in range(lo, hi + 1):
            t = toks[i]
            if t.pos in ("PUNCT", "SPACE"):
                continue
            first, last = tree.edges(i)
            yield _Candidate(first, last, i)
            # The core of a noun phrase: without the clause, apposition or parenthesis after it.
            right = [c for c in tree.kids(i) if c > i and toks[c].dep in _TRAILING]
            if right:
                yield _Candidate(first, min(tree.edges(c)[0] for c in right) - 1, i)
            # A clause or phrase without what opens it ("as ...", "for ...", "to ...").
            left = [c for c in tree.kids(i) if c < i and toks[c].dep in ("mark", "aux", "nsubj", "nsubjpass")]
            if left:
                yield _Candidate(max(tree.edges(c)[1] for c in left) + 1, last, i)
            if t.dep in ("prep", "agent") or t.pos == "ADP":
                objs = [c for c in tree.kids(i) if c > i]
                if objs:
                    yield _Candidate(objs[0] if tree.edges(objs[0])[0] > i else tree.edges(objs[0])[0],
                                     max(tree.edges(c)[1] for c in objs), objs[0])
        for a, b in parse.chunks:
            yield from self._span_candidate(parse, tree, a, b, lo, hi)
        for a, b, label in parse.entities:
            for cand in self._span_candidate(parse, tree, a, b, lo, hi):
                yield _Candidate(cand.first, cand.last, cand.root, label)
        if asked.kind == EXPANSION:
            yield from self._expansions(asked, text_tokens=parse, lo=lo, hi=hi, tree=tree)

    def _span_candidate(self, parse: ParsedText, tree: "_Tree", a: int, b: int, lo: int, hi: int):
        idx = [i for i in range(lo, hi + 1) if a <= parse.tokens[i].start and parse.tokens[i].end <= b]
        if idx:
            root = min(idx, key=tree.depth)
            yield _Candidate(idx[0], idx[-1], root)

    def _expansions(self, asked: AskedFor, text_tokens: ParsedText, lo: int, hi: int, tree: "_Tree"):
        """The name spelled out before "(ACRONYM)": the noun phrase whose core ends right before it."""
        toks = text_tokens.tokens
        for i in range(lo + 1, hi):
            if toks[i].word != "(":
                continue
            acronym = next((a.lower() for a in asked.acronyms if a.lower() == toks[i + 1].word), None)
            if acronym is not None:
                j = i - 1
                # Walk back over the name: proper nouns, adjectives and the function words between them.
                first = j
                while first - 1 >= lo and (toks[first - 1].pos in ("PROPN", "ADJ", "NOUN", "ADP", "CCONJ", "DET")
                                           and toks[first - 1].tag != "POS"):
                    if toks[first - 1].pos == "DET":
                        break
                    first -= 1
                while first < j and toks[first].pos in ("ADP", "CCONJ"):
                    first += 1
                # The name starts at the word that gives the acronym its first letter, when a later word does and
                # the name from there still holds its letters: "the NATO Building Integrity (BI)" spells out
                # "Building Integrity"; "the Revolutionary Armed Forces of Colombia (FARC)" stays whole.
                if toks[first].word[:1] != acronym[:1]:
                    first = next((k for k in range(first + 1, j + 1) if toks[k].word[:1] == acronym[:1] and
                                  letters_in_order(acronym, "".join(toks[t].word[:1] for t in range(k, j + 1)))),
                                 first)
                yield _Candidate(first, j, j, "EXPANSION")

    def _trim(self, parse: ParsedText, cand: _Candidate) -> _Candidate | None:
        toks = parse.tokens
        first, last = cand.first, cand.last
        while first <= last and (toks[first].pos in ("PUNCT", "CCONJ", "SPACE") or toks[first].dep in ("cc", "mark", "punct")):
            first += 1
        while last >= first and (toks[last].pos in ("PUNCT", "CCONJ", "SPACE") or toks[last].dep in ("cc", "punct")):
            last -= 1
        if first > last:
            return None
        return _Candidate(first, last, cand.root if first <= cand.root <= last else first, cand.label)

    # -- scoring ----------------------------------------------------------------------------------
    def _score(self, asked: AskedFor, parse: ParsedText, tree: "_Tree", matched: set[int], cand: _Candidate) -> float | None:
        toks = parse.tokens
        span_idx = range(cand.first, cand.last + 1)
        n_words = sum(1 for i in span_idx if toks[i].pos not in ("PUNCT", "SPACE"))
        if n_words == 0 or n_words > self.max_words:
            return None
        terms = [term for i in span_idx for term in toks[i].terms]
        if not terms:
            return None
        new = [term for term in terms if term not in asked.terms]
        if not new:
            return None
        repeated = [term for term in terms if term in asked.terms and term not in asked.focus]
        root = toks[cand.root]
        score = -self.overlap_weight * len(repeated) / len(terms) - self.length_weight * n_words
        # Close, in the parse, to the words the question shares with the sentence.
        outside = [m for m in matched if not cand.first <= m <= cand.last]
        if outside:
            d = min(tree.distance(cand.root, m) for m in outside)
            score += self.anchor_weight / d
        score += self.kind_weight * self._kind_fit(asked, parse, cand)
        # The question's own subject ("The Programme (ITPP)" for "What does the ITPP ..."): not an answer.
        if asked.kind != EXPANSION and any(toks[c].dep == "appos" and toks[c].terms & asked.terms for c in tree.kids(cand.root)):
            return None
        # Headed by a word of the question (not its focus): the question's own thing, not its answer.
        if root.terms and root.terms <= asked.terms - asked.focus and asked.kind != EXPANSION:
            return None
        instances = any(_INSTANCE_RE.match(toks[c].word) for c in tree.kids(cand.root) if cand.first <= c <= cand.last)
        if asked.focus and ((root.terms & asked.focus and not instances)
                            or self._instance_of(parse, tree, cand, asked.focus)):
            score += self.focus_weight
        if asked.preposition:
            head = tree.head(cand.root)
            if (toks[head].word == asked.preposition and head < cand.first) or toks[cand.first].word == asked.preposition:
                score += self.preposition_weight
        if root.dep in _MODIFIERS and cand.label == "":
            score -= self.modifier_weight
        score += self.new_weight * min(len(set(new)), 4)
        if asked.kind in (THING, PLACE, PERSON) and root.pos in ("NOUN", "PROPN", "PRON", "NUM"):
            score += self.noun_weight
        return score

    @staticmethod
    def _instance_of(parse: ParsedText, tree: "_Tree", cand: _Candidate, focus: frozenset[str]) -> bool:
        """The candidate is what "such as / like / including" introduces after a focus noun."""
        toks = parse.tokens
        prep = tree.head(cand.root)
        if prep == cand.root or toks[prep].pos not in ("ADP", "VERB"):
            return False
        words = " ".join(toks[i].word for i in range(max(prep - 1, 0), prep + 1))
        if not (_INSTANCE_RE.match(toks[prep].word) or _INSTANCE_RE.match(words)):
            return False
        noun = tree.head(prep)
        return bool(toks[noun].terms & focus) or (noun == prep and prep > 0 and bool(toks[prep - 1].terms & focus))

    def _kind_fit(self, asked: AskedFor, parse: ParsedText, cand: _Candidate) -> float:
        toks = parse.tokens
        a, b = toks[cand.first].start, toks[cand.last].end
        labels = SPAN_KIND_LABELS.get(asked.kind)
        if labels is not None:
            # The candidate is an entity of that kind (or most of one, or one with a word more).
            fit = 0.0
            for s, e, label in parse.entities:
                if label not in labels:
                    continue
                if (s, e) == (a, b) or (cand.label and cand.label == label and s <= a and b <= e):
                    return 1.0
                if max(s, a) < min(e, b):
                    fit = max(fit, 0.6 * min(e - s, b - a) / max(e - s, b - a))
            if fit == 0.0 and asked.kind in (PLACE, DATE) and toks[cand.root].dep == "pobj":
                fit = 0.3   # "in other regions", "over the years": a place or time without a name
            return fit
        if asked.kind == EXPANSION:
            return 1.0 if cand.label == "EXPANSION" else 0.0
        root = toks[cand.root]
        if asked.kind == REASON:
            opener = toks[cand.first - 1] if cand.first > 0 else None
            word = _text_of(opener) if opener is not None else ""
            if root.pos in ("VERB", "AUX", "NOUN") and _REASON_OPENERS.match(word):
                return 1.0
            return 0.3 if root.pos in ("VERB", "AUX") else 0.0
        if asked.kind == ACTION:
            return 1.0 if root.pos in ("VERB", "AUX") else 0.0
        return 0.0

    def _offsets(self, text: str, parse: ParsedText, cand: _Candidate) -> Span | None:
        toks = parse.tokens
        start, end = toks[cand.first].start, toks[cand.last].end
        phrase = text[start:end]
        # Close a quote or parenthesis the phrase opens.
        for opener, closer in _CLOSE_QUOTES.items():
            if phrase.count(opener) > phrase.count(closer) and opener != closer and text[end:end + 1] == closer:
                end += 1
        if start >= end:
            return None
        return Span(start, end)


def _text_of(token: Token | None) -> str:
    return "" if token is None else token.word


class _Tree:
    """The dependency tree restricted to tokens ``lo..hi`` (a head outside makes a root)."""

    def __init__(self, parse: ParsedText, lo: int, hi: int):
        self.parse, self.lo, self.hi = parse, lo, hi
        self._edges: dict[int, tuple[int, int]] = {}
        self._depth: dict[int, int] = {}

    def head(self, i: int) -> int:
        h = self.parse.tokens[i].head
        return i if not (self.lo <= h <= self.hi) else h

    def kids(self, i: int) -> list[int]:
        return [c for c in self.parse.children[i] if self.lo <= c <= self.hi]

    def edges(self, i: int) -> tuple[int, int]:
        found = self._edges.get(i)
        if found is None:
            first = last = i
            for c in self.kids(i):
                a, b = self.edges(c)
                first, last = min(first, a), max(last, b)
            found = self._edges[i] = (first, last)
        return found

    def ancestors(self, i: int) -> list[int]:
        chain = [i]
        while (h := self.head(chain[-1])) != chain[-1] and len(chain) <= self.hi - self.lo + 1:
            chain.append(h)
        return chain

    def depth(self, i: int) -> int:
        d = self._depth.get(i)
        if d is None:
            d = self._depth[i] = len(self.ancestors(i)) - 1
        return d

    def distance(self, a: int, b: int) -> int:
        up_a = self.ancestors(a)
        up_b = {x: n for n, x in enumerate(self.ancestors(b))}
        for n, x in enumerate(up_a):
            if x in up_b:
                return n + up_b[x]
        return len(up_a) + len(up_b)
