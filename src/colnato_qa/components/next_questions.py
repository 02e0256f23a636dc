"""Next questions: after an answer, 2-3 questions the article answers, about the cited paragraph.

``NextQuestions(bank).run(paragraph, doc_id=..., asked=...) -> list[str]``: the bank's questions
whose evidence is in ``paragraph`` of ``doc_id``, then those of the paragraphs nearest to it,
leaving out the questions already asked and any close to one of them (``same_above``: rapidfuzz's
token-set ratio, 0-100); at most ``per_answer``, none when fewer than ``at_least``
are found.

The bank is ``config/suggestions.jsonl``, one ``{"question", "doc_id", "paragraph", "source"}``
object a line, made by ``scripts/build_suggestions.py`` from the answerable questions of the
training and dev gold splits (never a test split) that the engine answers from their evidence's
paragraph (README.md, "What it serves").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from ..settings import DATA_ROOT

DEFAULT_BANK = DATA_ROOT / "config" / "suggestions.jsonl"


@dataclass(frozen=True)
class BankQuestion:
    question: str
    doc_id: str
    paragraph: int
    source: str = ""


def read_bank(path: str | Path = DEFAULT_BANK) -> list[BankQuestion]:
    """The question bank at ``path`` (an empty bank when the file is missing)."""
    path = Path(path)
    if not path.is_file():
        return []
    bank = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            bank.append(BankQuestion(str(row["question"]), str(row["doc_id"]), int(row["paragraph"]),
                                     str(row.get("source", ""))))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number} is not a bank question ({exc}); each line must be "
                             '{"question": str, "doc_id": str, "paragraph": int, "source": str}. '
                             "Rebuild it with scripts/build_suggestions.py --write.") from None
    return bank


def _key(question: str) -> str:
    return " ".join(question.casefold().replace("?", " ").split())


class NextQuestions:
    """Settings: the bank, how many questions to offer, the fewest worth showing, how far (in
    paragraphs) from the cited one to look."""

    def __init__(self, bank: Iterable[BankQuestion] | None = None, per_answer: int = 3, at_least: int = 2,
                 max_distance: int = 2, same_above: float = 80.0) -> None:
        if not 1 <= at_least <= per_answer:
            raise ValueError(f"need 1 <= at_least <= per_answer, got at_least={at_least}, per_answer={per_answer}")
        self.bank = list(read_bank() if bank is None else bank)
        self.per_answer = per_answer
        self.at_least = at_least
        self.max_distance = max_distance
        self.same_above = same_above

    def _close(self, question: str, others: Iterable[str]) -> bool:
        key = _key(question)
        return any(fuzz.token_set_ratio(key, other) >= self.same_above for other in others)

    def run(self, paragraph: int | None, doc_id: str | None = None, asked: Sequence[str] = ()) -> list[str]:
        if paragraph is None or not self.bank:
            return []
        seen = {_key(q) for q in asked}
        picked: list[str] = []
        for distance in range(self.max_distance + 1):
            for item in self.bank:
                if doc_id is not None and item.doc_id != doc_id:
                    continue
                if abs(item.paragraph - paragraph) != distance or self._close(item.question, seen):
                    continue
                picked.append(item.question)
                seen.add(_key(item.question))
                if len(picked) == self.per_answer:
                    return picked
        return picked if len(picked) >= self.at_least else []

    def for_answer(self, answer: Mapping, asked: Sequence[str] = ()) -> list[str]:
        """The next questions for an answer dict: about its first source's paragraph (none for
        an abstention or the engine's own reply)."""
        if answer.get("abstained") or answer.get("reply") or not answer.get("citations"):
            return []
        first = answer["citations"][0]
        return self.run(first.get("paragraph"), first.get("doc_id"), list(asked) + [answer.get("question") or ""])
