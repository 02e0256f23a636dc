"""The question reader: how a question is read before retrieval.

``QuestionReader(turns_used).run(question, turns, context) -> ReadQuestion``:

1. typo repair (``context.spell``: words the corpus lacks that are one slip from a corpus word);
2. follow-up resolution, only when the question needs it (``followup.needs_context``), against the last
   answered turn: an elliptical question ("how so", "and what does NATO get?") and a pronoun that stands for
   a thing ("did it work?") are read together with that turn's question; a person's pronoun ("he") is
   replaced by the person the turn names, and a demonstrative phrase ("those governments") by the phrase it
   points back to. A declined turn gives no antecedent, and a question with its own subject is read as it
   stands;
3. the kind of answer asked for (``question.answer_type``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..question import ReadQuestion, answer_type
from ..request import HistoryTurn
from .followup import PERSON, choose_antecedent, needs_context, opens_a_substitution, read_with, rewrite, substituted
from .mentions import Gazetteer

# How many earlier user turns are searched for the last answered one.
TURNS_SEARCHED = 2


@dataclass(frozen=True)
class EarlierTurn:
    """An earlier user turn as the engine read and answered it; ``answer`` is None when it declined or
    answered without confidence (an antecedent comes from an answer only when it was confident)."""

    question: str
    answer: str | None


@dataclass(frozen=True)
class ReadingContext:
    """What the reader needs from the engine: the corpus gazetteer, how often a phrase's words occur
    in the corpus, the typo repair, and the conversation's earlier user turns as the engine already
    read and answered them (oldest first; empty when the question needs no history)."""

    gazetteer: Gazetteer
    frequency: Callable[[str], int]
    spell: Callable[[str], str]
    earlier: Sequence[EarlierTurn] = field(default_factory=tuple)


class QuestionReader:
    def __init__(self, turns_used: int, repair_typos: bool = True) -> None:
        self.turns_used = turns_used
        self.repair_typos = repair_typos

    def leans_on_history(self, question: str, turns: Sequence[HistoryTurn], context: ReadingContext) -> bool:
        """Whether reading ``question`` may need the earlier turns (so the engine reads them first)."""
        if not self.turns_used or not any(t.role == "user" for t in turns):
            return False
        text = context.spell(question) if self.repair_typos else question
        return (opens_a_substitution(text)
                or needs_context(text, None, lambda t: context.gazetteer.find(t, from_answer=False)) is not None)

    def run(self, question: str, turns: Sequence[HistoryTurn], context: ReadingContext) -> ReadQuestion:
        text = context.spell(question) if self.repair_typos else question
        typo_fixed = text != question
        read = self._resolve(text, turns, context)
        if read is None:
            # A first question whose pronoun refers to nothing is never answered as if it did. Later in a
            # conversation it is read as it stands when nothing earlier fits (a reply it leans on may be
            # worded apart from it): asking "which one?" there lost more right answers than it saved on dev.
            first = not any(t.role == "user" for t in turns)
            return ReadQuestion(text, text if typo_fixed else None, "", answer_type(text),
                                unresolved=self._dangling_pronoun(text, context) if first else None, typed=question)
        return ReadQuestion(read.text, read.interpreted_as, read.context, answer_type(read.text), typed=question,
                            refers_back=read.refers_back)

    def _resolve(self, question: str, turns: Sequence[HistoryTurn], context: ReadingContext) -> ReadQuestion | None:
        if not self.turns_used or not any(t.role == "user" for t in turns):
            return None
        find = lambda text: context.gazetteer.find(text, from_answer=False)  # noqa: E731
        earlier = self._last_answered(context)
        again = substituted(question, earlier.question, find) if earlier is not None else None
        if again is not None:       # "what about Santos?" after "When was Uribe president?"
            return ReadQuestion(again, again, earlier.question, refers_back=True)
        if needs_context(question, None, find) is None:
            return None
        if earlier is None:
            return None
        follow = needs_context(question, f"{earlier.question} {earlier.answer}", find)
        if follow is None:
            return None
        # Read with the earlier question: an elliptical question ("how so?"), and a pronoun that stands for a
        # thing ("did it work?"), whose antecedent the earlier question's words locate without naming it: a
        # named thing drew the answer to the sentence that names it, often the answer just given.
        refers_back = follow.pronoun is not None or follow.demonstrative_noun is not None
        joined = ReadQuestion(read_with(question, earlier.question), f"{question} (following up on: {earlier.question})",
                              earlier.question, refers_back=refers_back)
        if follow.kind != PERSON and follow.demonstrative_noun is None:
            return joined
        # A person ("when was he president?"): the latest answered turn that names one (its answer says who). A
        # demonstrative phrase ("those governments"): the earlier phrase with its noun.
        for turn in (self._answered(context) if follow.kind == PERSON else [earlier]):
            mentions = context.gazetteer.find(turn.question, from_answer=False) + \
                context.gazetteer.find(turn.answer or "", from_answer=True)
            mention = choose_antecedent(mentions, follow, question, context.frequency)
            if mention is not None:
                text = rewrite(question, follow, mention)
                return ReadQuestion(text, text, mention.text, refers_back=True)
        return joined

    @staticmethod
    def _dangling_pronoun(question: str, context: ReadingContext) -> str | None:
        """The pronoun of a question read as it stands that refers to nothing in it ("When was it signed?"),
        or None. A question that names things of its own, or whose pronoun is an expletive, has none."""
        follow = needs_context(question, None, lambda text: context.gazetteer.find(text, from_answer=False))
        if follow is None or follow.pronoun is None:
            return None
        return follow.pronoun.group(0)

    def _answered(self, context: ReadingContext) -> list[EarlierTurn]:
        """The last ``TURNS_SEARCHED`` earlier turns that were answered with confidence, latest first."""
        return [t for t in reversed(list(context.earlier)[-self.turns_used:][-TURNS_SEARCHED:]) if t.answer]

    def _last_answered(self, context: ReadingContext) -> EarlierTurn | None:
        """The latest of the last ``TURNS_SEARCHED`` earlier turns that was answered with confidence."""
        return next(iter(self._answered(context)), None)
