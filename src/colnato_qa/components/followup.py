"""Follow-up questions: does a question lean on an earlier turn, and what does its pronoun stand for?

A question is read as it stands unless it needs the conversation:

* it holds a third-person pronoun ("it", "he", "their", "that" ...) with nothing in the question
  itself that it could refer to, and the pronoun is not an expletive ("is it true that ...");
* it holds a demonstrative noun phrase ("those governments", "that status") whose noun the previous
  turn mentions;
* or it is elliptical: it opens with "and", "so", "what about", "anything about" ... ("and what does
  NATO get?", "how so").

What a follow-up is read with (components/reader.py): a person's pronoun (he/she/him/his/her) is replaced by a
person that turn names, a demonstrative phrase by the phrase it points back to (``choose_antecedent``); a
pronoun that stands for a thing or a group, like an elliptical question, is read together with the earlier
question. The antecedents come from the previous answered turn (its question and its answer); a declined or
off-topic turn gives none. Everything here is closed-class English (pronouns, determiners,
conjunctions), never words of the article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..lexicon import AUXILIARIES, DEMONSTRATIVES, FUNCTION_WORDS, PREPOSITIONS, THIS_TEXT_NOUNS

PERSON, THING, GROUP = "person", "thing", "group"

# pronoun -> (kind it refers to, possessive?)
_PRONOUNS: dict[str, tuple[str, bool]] = {
    "he": (PERSON, False), "him": (PERSON, False), "his": (PERSON, True),
    "she": (PERSON, False), "her": (PERSON, False), "hers": (PERSON, True),
    "it": (THING, False), "its": (THING, True), "this": (THING, False), "that": (THING, False),
    "they": (GROUP, False), "them": (GROUP, False), "their": (GROUP, True), "theirs": (GROUP, True),
    "these": (GROUP, False), "those": (GROUP, False),
}
_PRONOUN_RE = re.compile(r"\b(" + "|".join(sorted(_PRONOUNS, key=len, reverse=True)) + r")\b", re.I)
# "is it true that", "it is possible to", "it seems", "what is it like": "it" refers to nothing.
_EXPLETIVE_RE = re.compile(
    r"\b(?:is|was|isn'?t|wasn'?t)\s+it\s+(?:true|correct|right|possible|likely|the case|fair|accurate|known|clear)\b"
    r"|\bit(?:'s|’s|\s+is|\s+was)\s+(?:\w+\s+){0,2}?(?:that|to|whether|if)\b"
    r"|\bit\s+(?:seems|appears|looks like|turns out|says|said|mentions|states)\b"
    r"|\bthat\s+(?:is|was)\s+(?:why|how|when|what)\b"
    r"|\b(?:so|such)\s+that\b|\bthat\s+(?=\w+\s+(?:is|are|was|were|has|have|did|does|do|can|could|would|will)\b)"
    r"|\bwhat\s+(?:time|day)\s+is\s+it\b",
    re.I)
# Words after "that"/"this" that make it a conjunction or relative pronoun, not a reference.
_THAT_CONJUNCTION_BEFORE = re.compile(
    r"\b(?:say|says|said|think|thinks|mean|means|true|so|know|believe|claim|claims|show|shows|than|now|such|"
    r"the fact|way|sure|clear|possible|likely|things?|one|ones|thing)\s*$", re.I)
_ELLIPSIS_RE = re.compile(r"^\s*(?:and|so|but|also|plus|what about|how about|anything (?:about|on)|"
                          r"any(?:thing)? else|what else|why not|how so|why|how come|really|such as|like what)\b", re.I)
_WORD_RE = re.compile(r"[A-Za-zÀ-ÿ’'-]+")


@dataclass(frozen=True)
class Mention:
    """A phrase of an earlier turn that a pronoun may stand for."""

    text: str
    kind: str          # PERSON, THING or GROUP
    from_answer: bool  # found in the earlier answer (else in the earlier question)


@dataclass(frozen=True)
class FollowUp:
    """How a question leans on the conversation. ``pronoun`` is the match of the anaphor to replace
    (None for an elliptical question or a demonstrative phrase), ``kind`` what it must refer to."""

    pronoun: re.Match[str] | None
    kind: str
    possessive: bool = False
    demonstrative_noun: str | None = None   # "governments" in "those governments"
    others: tuple["FollowUp", ...] = ()     # the question's other unresolved pronouns, in order


def _words(text: str) -> list[str]:
    return [w.lower().strip("’'") for w in _WORD_RE.findall(text)]


def own_subject_words(question: str) -> list[str]:
    """The question's words that are not function words: what it is about, by itself."""
    return [w for w in _words(question) if w not in FUNCTION_WORDS and len(w) > 1]


def _is_expletive(question: str, m: re.Match[str]) -> bool:
    for e in _EXPLETIVE_RE.finditer(question):
        if e.start() <= m.start() < e.end():
            return True
    w = m.group(0).lower()
    if w == "that" and _THAT_CONJUNCTION_BEFORE.search(question[:m.start()]):
        return True
    return False


def _noun_after(question: str, m: re.Match[str]) -> str | None:
    """For a determiner ("those governments"), the noun it introduces, else None."""
    rest = question[m.end():]
    nxt = re.match(r"\s+([A-Za-zÀ-ÿ’'-]+)", rest)
    if not nxt:
        return None
    word = nxt.group(1).lower()
    if word in FUNCTION_WORDS:
        return None
    return word


def _phrase_after(question: str, m: re.Match[str]) -> list[str]:
    """The words after a determiner up to the next function word or punctuation, and a noun for a text that
    ends them ("this colombia nato thing")."""
    out = []
    for word in re.match(r"[\sA-Za-zÀ-ÿ’'-]*", question[m.end():]).group(0).lower().split():
        if word in THIS_TEXT_NOUNS:
            return out + [word]
        if word in FUNCTION_WORDS:
            break
        out.append(word)
    return out


# A question that names this many things of its own is read as it stands, whatever its pronouns.
SELF_CONTAINED_WORDS = 6
_CLAUSE_BOUNDARY_RE = re.compile(
    r"[,.;:?!]|\b(?:if|when|whether|because|and|but|so|that|which|who|while|after|before|since|although|though|or|"
    r"once|unless|until)\b", re.I)


def needs_context(question: str, earlier_text: str | None = "",
                  mentions: Callable[[str], Sequence[Mention]] | None = None) -> FollowUp | None:
    """How ``question`` depends on the conversation, or None when it stands on its own.

    ``earlier_text`` is the previous turn (question and answer): a demonstrative phrase
    ("those governments") refers back only when that turn mentions its noun. None: the turn is not
    known yet, and any demonstrative phrase may refer back (a first, cheap look). ``mentions`` finds
    the corpus's names and nouns in a text (the gazetteer): a question that names its own subject
    reads its pronouns as referring to it.
    """
    find = mentions or (lambda text: [])
    own = own_subject_words(question)
    # "and what about the army?", "how so": a discourse opener with no subject of its own.
    elliptical = bool(_ELLIPSIS_RE.match(question)) and not find(question)
    if len(own) >= SELF_CONTAINED_WORDS:
        return None
    earlier_words = set(_words(earlier_text or ""))
    found: list[FollowUp] = []
    for m in _PRONOUN_RE.finditer(question):
        word = m.group(0).lower()
        kind, possessive = _PRONOUNS[word]
        if word in ("it", "this", "that") and _is_expletive(question, m):
            continue
        if word == "this" and (_noun_after(question, m) is None
                               or THIS_TEXT_NOUNS & set(_phrase_after(question, m))):
            continue   # a bare "this", or "this (nato) thing/article", points at the article in front of the reader
        # "did that lead to ...?", "why was that needed?": the demonstrative is the question's subject, a pronoun.
        if word in DEMONSTRATIVES and not _verb_after_subject(question, m):
            noun = _noun_after(question, m)
            if noun is not None:
                stem = noun.rstrip("s")
                if earlier_text is None or any(w.rstrip("s") == stem for w in earlier_words):
                    found.append(FollowUp(None, GROUP if word in ("these", "those") else THING, demonstrative_noun=noun))
                continue   # "this article", "that year": a phrase of its own
        if word == "her":
            possessive = _noun_after(question, m) is not None
        if _has_antecedent_inside(question, m) or _names_its_subject(question, m, kind, possessive, find):
            continue
        found.append(FollowUp(m, kind, possessive))
    if found:
        first = found[0]
        return FollowUp(first.pronoun, first.kind, first.possessive, first.demonstrative_noun, tuple(found[1:]))
    # "since when": no subject of its own (a preposition names none).
    if elliptical or not [w for w in own if w not in PREPOSITIONS]:
        return FollowUp(None, THING)
    return None


def _verb_after_subject(question: str, m: re.Match[str]) -> bool:
    """Whether a singular demonstrative is the subject of an inverted question and the word after it its verb:
    an auxiliary before it, and after that word the question ends or a preposition follows ("did that lead to
    ...", "was that needed?"; not "did that program work", "was that status important")."""
    if m.group(0).lower() not in ("this", "that"):
        return False
    before = _words(question[:m.start()])
    after = _words(question[m.end():])
    if not before or before[-1] not in AUXILIARIES or not after:
        return False
    return len(after) == 1 or after[1] in PREPOSITIONS


def _has_antecedent_inside(question: str, m: re.Match[str]) -> bool:
    """Whether an earlier clause of the question itself names something the pronoun can refer to.

    A pronoun does not refer to the subject of its own clause ("what does NATO get out of it": "it"
    is not NATO), so only words before the last clause boundary (a comma, "if", "and", "that" ...)
    count: "Does NATO have to defend Colombia if it is attacked?" resolves inside.
    """
    before = question[:m.start()]
    boundaries = list(_CLAUSE_BOUNDARY_RE.finditer(before))
    if not boundaries:
        return False
    last = boundaries[-1]
    if not before[last.end():].strip() and not _words(question[m.end():]):
        return False   # "before it?": a preposition, not a clause of its own
    return bool(own_subject_words(before[:last.start()]))


def _names_its_subject(question: str, m: re.Match[str], kind: str, possessive: bool,
                       find: Callable[[str], Sequence[Mention]]) -> bool:
    """Whether the question names, before the pronoun, something of the pronoun's kind that it can refer
    to: any such name for a possessive ("does Colombia keep its own policy"), for another pronoun
    one that is not the lone subject of the pronoun's clause when the pronoun is a preposition's object
    ("what has Colombia done through it" asks about something else)."""
    head = question[:m.start()]
    before = [mt for mt in find(head) if fits(mt, kind) and not _asked_for(head, mt.text)]
    if not before:
        return False
    if possessive:
        return True
    words_before = _words(question[:m.start()])
    after_preposition = bool(words_before) and words_before[-1] in PREPOSITIONS
    return not after_preposition or len(before) >= 2


_WH_DETERMINER = r"\b(?:what|which|whose|how\s+many|how\s+much)\s+(?:[A-Za-zÀ-ÿ’'-]+\s+)?"


def _asked_for(text: str, mention: str) -> bool:
    """Whether ``mention`` is what a wh-determiner asks for ("what areas does it cover": "areas" is the
    answer sought, not what "it" stands for)."""
    return re.search(_WH_DETERMINER + re.escape(mention) + r"\b", text, re.I) is not None


def fits(mention: Mention, kind: str) -> bool:
    if kind == PERSON:
        return mention.kind == PERSON
    if kind == GROUP:
        return mention.kind in (GROUP, THING)
    return mention.kind in (THING, GROUP)


def choose_antecedent(mentions: Sequence[Mention], follow: FollowUp, question: str = "",
                      frequency: Callable[[str], int] | None = None) -> Mention | None:
    """The earlier mention that a person's pronoun or a demonstrative phrase stands for, or None when nothing
    fits. (A pronoun that stands for a thing is not replaced: the reader reads the question with the earlier
    one, components/reader.py.)

    A demonstrative phrase ("those governments"): the governments of what the earlier question asked about
    (its rarest mention in the corpus, by ``frequency``), else the earlier phrase with its noun. A person:
    the earlier answer's first person (it says who), else the earlier question's, unless the question names
    that person already.
    """
    asked = set(_words(question))
    if follow.demonstrative_noun is not None:
        noun = follow.demonstrative_noun
        stem = noun.rstrip("s")
        asked_about = [mt for mt in mentions if not mt.from_answer and mt.kind != PERSON
                       and not any(w.rstrip("s") == stem for w in _words(mt.text))]
        if asked_about:
            topic = min(asked_about, key=lambda mt: frequency(mt.text)) if frequency else asked_about[0]
            return Mention(f"the {noun} of {_as_phrase(topic.text)}", GROUP if noun.endswith("s") else THING,
                           topic.from_answer)
        with_noun = [mt for mt in mentions if any(w.rstrip("s") == stem for w in _words(mt.text))]
        return max(with_noun, key=lambda mt: len(mt.text), default=None)
    if follow.kind != PERSON:
        return None
    people = [mt for mt in mentions if mt.kind == PERSON and not set(_words(mt.text)) <= asked]
    from_answer = [mt for mt in people if mt.from_answer]
    return (from_answer or people or [None])[0]


# "and Santos?", "what about the IPCP?": an opener, then only the new subject.
_SUBSTITUTION_RE = re.compile(r"^\s*(?:and|but|so|also|what about|how about|then)\s+(?:for\s+|with\s+)?(?P<rest>.+?)[\s?.!]*$",
                              re.I)


_TOKEN_RE = re.compile(r"[\w’'-]+")   # words and numbers ("the 2013 agreement")


def _is_a_name(phrase: str) -> bool:
    """Every word of the phrase but "the", "of" and "and" is capitalised ("Uribe", "the ITPP", "the Building
    Integrity Program"): a name, which can be swapped whole; "the ITPP focus" is not."""
    return all(w[:1].isupper() or w.lower() in ("the", "of", "and") for w in _TOKEN_RE.findall(phrase))


def opens_a_substitution(question: str) -> bool:
    """Whether ``question`` may ask the earlier question again of a new subject ("and Santos?"): a cheap first
    look, before the earlier turns are read."""
    return _SUBSTITUTION_RE.match(question) is not None


def substituted(question: str, earlier_question: str, find: Callable[[str], Sequence[Mention]]) -> str | None:
    """The earlier question asked again of a new subject, when ``question`` is only an opener and that subject:
    "what about Santos?" after "When was Uribe president?" asks "When was Santos president?". The new subject
    replaces the earlier question's first mention of the same kind (a person for a person); None when the
    question says more than that, or the earlier question has no such mention that is a name."""
    m = _SUBSTITUTION_RE.match(question)
    if m is None:
        return None
    found = list(find(m.group("rest")))
    if len(found) != 1:
        return None
    new, subject = found[0], m.group("rest").strip()
    named = {w.lower() for w in _words(new.text)} | {"the", "a", "an", "of"}
    leftover = [w for w in _TOKEN_RE.findall(subject) if w.lower() not in named and not w.isdigit()]
    if leftover:
        return None       # "and why did Santos do it?": more than a subject
    old = next((e for e in find(earlier_question) if e.kind == new.kind and _is_a_name(e.text)
                and new.text.lower() not in e.text.lower() and e.text.lower() not in new.text.lower()), None)
    if old is None:
        return None
    i = earlier_question.lower().find(old.text.lower())     # a mention is a piece of the text it was found in
    return earlier_question[:i] + subject + earlier_question[i + len(old.text):]


def read_with(question: str, earlier_question: str) -> str:
    """A follow-up as it is searched when read with the earlier question (an elliptical question, a pronoun that
    stands for a thing): the reader's reading, and the encoder's training text for a follow-up."""
    return f"{question} {earlier_question}"


def possessive_of(phrase: str) -> str:
    return phrase + ("’" if phrase.endswith("s") else "’s")


def rewrite(question: str, follow: FollowUp, antecedent: Mention) -> str:
    """The question with its anaphor replaced by the antecedent: a grammatical question."""
    if follow.demonstrative_noun is not None:
        m = re.search(rf"\b(?:this|that|these|those)\s+{re.escape(follow.demonstrative_noun)}\b", question, re.I)
        if m is None:
            return question
        text = question[:m.start()] + _as_phrase(antecedent.text) + question[m.end():]
    elif follow.pronoun is not None:
        m = follow.pronoun
        replacement = possessive_of(antecedent.text) if follow.possessive else _as_phrase(antecedent.text)
        text = question[:m.start()] + replacement + question[m.end():]
    else:
        return question   # an elliptical question has no word to replace: the reader joins it to its turn
    return text[0].upper() + text[1:] if text and text[0].islower() else text


def _as_phrase(text: str) -> str:
    """A mention as it reads mid-sentence: "The ITPP" -> "the ITPP"."""
    first, _, rest = text.partition(" ")
    if first in ("The", "A", "An", "This", "These", "Its") and rest:
        return first.lower() + " " + rest
    return text
