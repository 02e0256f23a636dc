"""Gold question sets: every gold file is read here, into :class:`GoldItem` records.

The formats (see docs/evaluation.md), told apart by content, not by file name:

* **JSONL**, one object a line: ``id``, ``question``, ``answers`` (list of acceptable answer
  strings; ``[]`` = the article does not answer it) required; ``evidence``, ``history``,
  ``type``, ``split`` optional; any other key is kept in ``GoldItem.extra`` (usable by ``--by``).
* **Hugging Face datasets records** (JSONL, or one JSON list): ``answers`` is
  ``{"text": [...], "answer_start": [...]}``, ``context`` the paragraph (the evidence of an
  answerable question is its sentence around the first answer).
* **SQuAD v1.1 / v2.0 JSON**: ``{"data": [{"title", "paragraphs": [{"context", "qas": [{"id",
  "question", "answers": [{"text", "answer_start"}], "is_impossible"}]}]}]}``. The evidence of an
  answerable question is the sentence of ``context`` around the first answer.
* **CSV / TSV** with a header: ``question``, one or several ``answer``/``answers`` columns (an
  empty cell is no answer; no answer at all = the article does not say), optional ``id``,
  ``type``, ``split``, ``evidence``, ``history`` (earlier questions separated by ``|``); any other
  column goes to ``extra``.

:func:`read_gold_sets` reads ``GOLD[:SPLIT]`` arguments, the one way the commands read gold files.

Loading is pure (no corpus needed). :func:`check_evidence` verifies, given the corpus texts,
that every evidence string occurs in them. Every problem raises
:class:`colnato_qa.errors.GoldFormatError` with the file, the line (or JSON path) and what is wrong.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GoldFormatError
from ..text import fold

#: What the one-line error for an unknown file names.
SUPPORTED_FORMATS = ("JSONL ({\"id\", \"question\", \"answers\": [...]} a line), Hugging Face datasets records "
                     "(answers: {\"text\": [...], \"answer_start\": [...]}), SQuAD v1.1/v2.0 JSON, or CSV/TSV with "
                     "a header holding 'question' and 'answer' (or several 'answers') columns")

#: The keys of a JSONL line that become GoldItem fields; any other key goes to ``extra``.
KNOWN_KEYS = ("id", "question", "answers", "evidence", "history", "type", "split")
REQUIRED_KEYS = ("id", "question", "answers")


@dataclass(frozen=True)
class GoldItem:
    """One gold question. ``answers == ()`` means the article does not answer it."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: str | None = None
    history: tuple[str, ...] = ()
    type: str | None = None
    split: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source: str = field(default="", compare=False)   # "path:line" (JSONL) or "path:data[i]..." (SQuAD)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def field_value(self, name: str) -> str:
        """The value of a field for ``--by`` grouping: a known field or a key of ``extra``.

        Missing values group as ``"(none)"``; ``answerable`` is a derived field ("yes"/"no").
        """
        if name == "answerable":
            return "yes" if self.answerable else "no"
        if name in ("type", "split", "id", "question", "evidence"):
            value = getattr(self, name)
        elif name == "history":
            value = "followup" if self.history else "first turn"
        else:
            value = self.extra.get(name)
        if value is None or value == "":
            return "(none)"
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "question": self.question, "answers": list(self.answers)}
        if self.evidence is not None:
            d["evidence"] = self.evidence
        if self.history:
            d["history"] = list(self.history)
        if self.type is not None:
            d["type"] = self.type
        if self.split is not None:
            d["split"] = self.split
        d.update(self.extra)
        return d


# -- loading -------------------------------------------------------------------------------
def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold file in any supported format (told apart by content, not by name)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoldFormatError(f"{path}: gold file not found") from None
    except IsADirectoryError:
        raise GoldFormatError(f"{path}: is a directory, expected a gold file: {SUPPORTED_FORMATS}") from None
    except UnicodeDecodeError as exc:
        raise GoldFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GoldFormatError(f"{path}: cannot read gold file: {exc.strerror or exc}") from None
    return parse_gold(text, str(path))


def parse_gold(text: str, name: str = "<gold>") -> list[GoldItem]:
    """Parse gold text; ``name`` is used in error messages."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise GoldFormatError(f"{name}: the gold file is empty; expected {SUPPORTED_FORMATS}")
    if _looks_like_squad(text):
        return parse_squad(text, name)
    first = text.lstrip()[:1]
    if first == "[" and _parses(text):
        return parse_records(text, name)
    if first in "{[":
        return parse_jsonl(text, name)
    header = text.lstrip("\n").split("\n", 1)[0]
    delimiter = "\t" if "\t" in header else ","
    if "question" in [c.strip().lower() for c in next(csv.reader([header], delimiter=delimiter), [])]:
        return parse_table(text, name, delimiter)
    raise GoldFormatError(f"{name}: not a gold file in a format colnato-qa reads; expected {SUPPORTED_FORMATS}")


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _looks_like_squad(text: str) -> bool:
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):   # JSONDecodeError is a ValueError
        return False        # several objects, one a line: JSONL (or malformed: reported per line)
    return isinstance(data, dict) and "data" in data and "question" not in data


def parse_jsonl(text: str, name: str = "<gold>") -> list[GoldItem]:
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        obj = _loads(line, where)
        if not isinstance(obj, dict):
            raise GoldFormatError(f"{where}: expected a JSON object, got {_type_name(obj)}")
        item = _item_from_dict(obj, where)
        if item.id in seen:
            raise GoldFormatError(f"{where}: duplicate id {item.id!r} (first used on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise GoldFormatError(f"{name}: no gold questions found")
    return items


def parse_records(text: str, name: str = "<gold>") -> list[GoldItem]:
    """A JSON list of records (``Dataset.to_json(lines=False)``, or a list of project records)."""
    data = _loads(text, name, multiline=True)
    if not isinstance(data, list):
        raise GoldFormatError(f"{name}: expected a JSON list of question records, got {_type_name(data)}")
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for i, obj in enumerate(data):
        where = f"{name}: [{i}]"
        if not isinstance(obj, dict):
            raise GoldFormatError(f"{where}: expected a JSON object, got {_type_name(obj)}")
        item = _item_from_dict(obj, where)
        if item.id in seen:
            raise GoldFormatError(f"{where}: duplicate id {item.id!r} (first used at [{seen[item.id]}])")
        seen[item.id] = i
        items.append(item)
    if not items:
        raise GoldFormatError(f"{name}: no gold questions found")
    return items


#: CSV/TSV columns that name a gold answer: answer, answers, answer_2, answers 3 ...
_ANSWER_COLUMN = re.compile(r"^answers?(?:[ _-]?\d+)?$")


def parse_table(text: str, name: str = "<gold>", delimiter: str = ",") -> list[GoldItem]:
    """CSV or TSV with a header row (see the module docstring). Lines are the file's lines."""
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = [c.strip().lower() for c in next(reader)]
    answer_cols = [i for i, c in enumerate(header) if _ANSWER_COLUMN.match(c)]
    if not answer_cols:
        raise GoldFormatError(f"{name}:1: the header has no 'answer' or 'answers' column (columns: {header}); "
                              "an empty answer cell means the article does not say")
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        where = f"{name}:{reader.line_num}"
        if len(row) > len(header):
            raise GoldFormatError(f"{where}: {len(row)} cells but the header has {len(header)} columns")
        cells = dict(zip(header, [c.strip() for c in row]))
        obj: dict[str, Any] = {k: v for k, v in cells.items() if v and not _ANSWER_COLUMN.match(k)}
        obj["id"] = cells.get("id") or str(len(items) + 1)
        obj["question"] = cells.get("question", "")
        obj["answers"] = list(dict.fromkeys(row[i].strip() for i in answer_cols if i < len(row) and row[i].strip()))
        if "history" in obj:
            obj["history"] = [h.strip() for h in obj["history"].split("|") if h.strip()]
        item = _item_from_dict(obj, where)
        if item.id in seen:
            raise GoldFormatError(f"{where}: duplicate id {item.id!r} (first used on line {seen[item.id]})")
        seen[item.id] = reader.line_num
        items.append(item)
    if not items:
        raise GoldFormatError(f"{name}: no gold questions found")
    return items


def _from_datasets_record(obj: dict[str, Any], where: str) -> dict[str, Any]:
    """A Hugging Face datasets record (``answers: {"text": [...], "answer_start": [...]}``, ``context``)
    as a project record: the answer texts, and the evidence sentence of the context around the first."""
    raw = obj["answers"]
    texts, starts = raw.get("text"), raw.get("answer_start", [])
    if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
        raise GoldFormatError(f"{where}: field 'answers.text' must be a list of non-empty strings "
                              f"([] = unanswerable), got {_describe(texts)}")
    out = {k: v for k, v in obj.items() if k not in ("answers", "context")}
    out["answers"] = list(dict.fromkeys(texts))
    context = obj.get("context")
    if texts and isinstance(context, str) and "evidence" not in obj:
        start = starts[0] if isinstance(starts, list) and starts else None
        out["evidence"] = _evidence_in(context, texts[0], start, where)
    return out


def _item_from_dict(obj: dict[str, Any], where: str) -> GoldItem:
    if isinstance(obj.get("answers"), dict):
        obj = _from_datasets_record(obj, where)
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        raise GoldFormatError(f"{where}: missing required field(s) {', '.join(repr(k) for k in missing)}")
    qid = obj["id"]
    if isinstance(qid, bool) or not isinstance(qid, (str, int)) or str(qid).strip() == "":
        raise GoldFormatError(f"{where}: field 'id' must be a non-empty string, got {_type_name(qid)}")
    question = obj["question"]
    if not isinstance(question, str) or not question.strip():
        raise GoldFormatError(f"{where}: field 'question' must be a non-empty string, got {_describe(question)}")
    answers = obj["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise GoldFormatError(
            f"{where}: field 'answers' must be a list of strings ([] = unanswerable), got {_describe(answers)}"
        )
    if any(not a.strip() for a in answers):
        raise GoldFormatError(f"{where}: field 'answers' holds an empty string; use [] for an unanswerable question")
    evidence = obj.get("evidence")
    if evidence is not None:
        if not isinstance(evidence, str) or not evidence.strip():
            raise GoldFormatError(f"{where}: field 'evidence' must be a non-empty string, got {_describe(evidence)}")
        if not answers:
            raise GoldFormatError(f"{where}: an unanswerable question (answers []) cannot have 'evidence'")
    history = obj.get("history", [])
    if history is None:
        history = []
    if not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history):
        raise GoldFormatError(
            f"{where}: field 'history' must be a list of earlier question strings, got {_describe(history)}"
        )
    for key in ("type", "split"):
        value = obj.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise GoldFormatError(f"{where}: field {key!r} must be a non-empty string, got {_describe(value)}")
    extra = {k: v for k, v in obj.items() if k not in KNOWN_KEYS}
    return GoldItem(
        id=str(qid), question=question, answers=tuple(answers), evidence=evidence, history=tuple(history),
        type=obj.get("type"), split=obj.get("split"), extra=extra, source=where,
    )


# -- SQuAD v2.0 --------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+|\n+")


def sentence_around(context: str, start: int, end: int) -> str:
    """The sentence of ``context`` holding ``[start, end)`` (a simple punctuation split)."""
    s = 0
    for m in _SENTENCE_END.finditer(context):
        sentence_end = m.end(1) if m.group(1) is not None else m.start()
        if m.end() <= start:
            s = m.end()
        elif sentence_end >= end:
            return context[s:sentence_end].strip()
    return context[s:].strip()


def _evidence_in(context: str, answer: str, start: Any, where: str) -> str:
    """The sentence of ``context`` around ``answer``, found at ``start`` or, when that is missing or
    off, by searching the context."""
    if not (isinstance(start, int) and not isinstance(start, bool) and context[start:start + len(answer)] == answer):
        if answer not in context:
            raise GoldFormatError(f"{where}: answer text {answer!r} does not occur in the paragraph's context")
        start = context.index(answer)
    return sentence_around(context, start, start + len(answer))


def _loads(text: str, where: str, multiline: bool = False):
    """json.loads with every failure as a GoldFormatError naming ``where`` (and the line, for a whole file)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"{where}:{exc.lineno}" if multiline else where
        raise GoldFormatError(f"{at}: malformed JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise GoldFormatError(f"{where}: malformed JSON (nested too deeply)") from None
    except ValueError as exc:           # e.g. an integer too long to convert
        raise GoldFormatError(f"{where}: malformed JSON ({exc})") from None


def parse_squad(text: str, name: str = "<gold>") -> list[GoldItem]:
    data = _loads(text, name, multiline=True)
    articles = data.get("data")
    if not isinstance(articles, list):
        raise GoldFormatError(f"{name}: SQuAD field 'data' must be a list of articles, got {_type_name(articles)}")
    items: list[GoldItem] = []
    seen: dict[str, str] = {}
    for ai, article in enumerate(articles):
        apath = f"data[{ai}]"
        if not isinstance(article, dict):
            raise GoldFormatError(f"{name}: {apath} must be an object, got {_type_name(article)}")
        title = article.get("title")
        paragraphs = article.get("paragraphs")
        if not isinstance(paragraphs, list):
            raise GoldFormatError(f"{name}: {apath}.paragraphs must be a list, got {_type_name(paragraphs)}")
        for pi, para in enumerate(paragraphs):
            ppath = f"{apath}.paragraphs[{pi}]"
            if not isinstance(para, dict):
                raise GoldFormatError(f"{name}: {ppath} must be an object, got {_type_name(para)}")
            context = para.get("context")
            if not isinstance(context, str):
                raise GoldFormatError(f"{name}: {ppath}.context must be a string, got {_type_name(context)}")
            qas = para.get("qas")
            if not isinstance(qas, list):
                raise GoldFormatError(f"{name}: {ppath}.qas must be a list, got {_type_name(qas)}")
            for qi, qa in enumerate(qas):
                where = f"{name}: {ppath}.qas[{qi}]"
                items.append(_squad_item(qa, context, title, where, seen))
    if not items:
        raise GoldFormatError(f"{name}: no gold questions found in the SQuAD file")
    return items


def _squad_item(qa: Any, context: str, title: Any, where: str, seen: dict[str, str]) -> GoldItem:
    if not isinstance(qa, dict):
        raise GoldFormatError(f"{where}: must be an object, got {_type_name(qa)}")
    missing = [k for k in ("id", "question") if k not in qa]
    if missing:
        raise GoldFormatError(f"{where}: missing required field(s) {', '.join(repr(k) for k in missing)}")
    qid, question = qa["id"], qa["question"]
    if isinstance(qid, bool) or not isinstance(qid, (str, int)) or str(qid).strip() == "":
        raise GoldFormatError(f"{where}: field 'id' must be a non-empty string, got {_type_name(qid)}")
    qid = str(qid)
    if not isinstance(question, str) or not question.strip():
        raise GoldFormatError(f"{where}: field 'question' must be a non-empty string, got {_describe(question)}")
    if qid in seen:
        raise GoldFormatError(f"{where}: duplicate id {qid!r} (first used at {seen[qid]})")
    seen[qid] = where
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise GoldFormatError(f"{where}: field 'is_impossible' must be true or false, got {_describe(impossible)}")
    raw_answers = qa.get("answers", [])
    if not isinstance(raw_answers, list):
        raise GoldFormatError(f"{where}: field 'answers' must be a list, got {_type_name(raw_answers)}")
    if "answers" not in qa and not impossible:
        raise GoldFormatError(f"{where}: missing required field 'answers' (or set \"is_impossible\": true)")
    answers: list[str] = []
    evidence: str | None = None
    if not impossible:
        for k, a in enumerate(raw_answers):
            if not isinstance(a, dict) or not isinstance(a.get("text"), str) or not a["text"].strip():
                raise GoldFormatError(f"{where}: answers[{k}] must be an object with a non-empty 'text' string")
            if a["text"] not in answers:
                answers.append(a["text"])
        if not answers:
            raise GoldFormatError(f"{where}: an answerable question (is_impossible false) needs at least one answer")
        first = raw_answers[0]
        evidence = _evidence_in(context, first["text"], first.get("answer_start"), where)
    extra: dict[str, Any] = {}
    if isinstance(title, str):
        extra["title"] = title
    for k, v in qa.items():
        if k not in ("id", "question", "answers", "is_impossible", "plausible_answers"):
            extra[k] = v
    return GoldItem(
        id=qid, question=question, answers=tuple(answers), evidence=evidence, history=(),
        type=qa.get("type") if isinstance(qa.get("type"), str) else None,
        split=qa.get("split") if isinstance(qa.get("split"), str) else None,
        extra={k: v for k, v in extra.items() if k not in ("type", "split")}, source=where,
    )


# -- checks against the corpus --------------------------------------------------------------------
def check_evidence(items: Iterable[GoldItem], corpus_texts: Sequence[str]) -> None:
    """Raise GoldFormatError for the first item whose evidence occurs in none of ``corpus_texts``.

    Whitespace and quote style (curly vs straight) are folded, as in citation matching.
    """
    folded = [fold(t, keep_case=True) for t in corpus_texts]
    for item in items:
        if item.evidence is None:
            continue
        needle = fold(item.evidence, keep_case=True)
        if not any(needle in t for t in folded):
            raise GoldFormatError(
                f"{item.source or item.id}: evidence of {item.id!r} does not occur in the corpus: "
                f"{_shorten(item.evidence)!r}"
            )


def filter_split(items: Sequence[GoldItem], split: str | None) -> list[GoldItem]:
    """Items of one split (all items when ``split`` is None). Raises if none match."""
    if split is None:
        return list(items)
    chosen = [it for it in items if it.split == split]
    if not chosen:
        present = sorted({it.split for it in items if it.split})
        raise GoldFormatError(
            f"no gold questions in split {split!r}" + (f"; splits present: {present}" if present else "; the file has no 'split' fields")
        )
    return chosen


# -- GOLD[:SPLIT] arguments --------------------------------------------------------------------
SPLITS = ("dev", "test", "train")


@dataclass(frozen=True)
class GoldSet:
    """The questions one ``GOLD[:SPLIT]`` argument names: the file, the split taken, the items."""

    path: Path
    split: str           # dev, test, train or all
    items: list[GoldItem]

    @property
    def label(self) -> str:
        return f"{self.path}:{self.split}"


def parse_gold_spec(spec: str) -> tuple[Path, str | None]:
    """``path`` or ``path:split`` (split one of dev, test, train)."""
    path, sep, split = str(spec).rpartition(":")
    if sep and split in SPLITS and path:
        return Path(path), split
    return Path(spec), None


def read_gold_sets(specs: Sequence[str], default_split: str | None = None, prefer_dev: bool = False) -> list[GoldSet]:
    """The gold sets of ``GOLD[:SPLIT]`` arguments: the one place commands read gold files. A spec's
    own split wins, then ``default_split`` ("all": every question); otherwise the dev split when
    ``prefer_dev`` and the file has one, else every question. GoldFormatError for a missing file."""
    sets = []
    for spec in specs:
        path, split = parse_gold_spec(spec)
        if not path.exists():
            raise GoldFormatError(f"Gold file {path} does not exist.")
        items = load_gold(path)
        chosen = split or default_split or ("dev" if prefer_dev and any(it.split == "dev" for it in items) else "all")
        sets.append(GoldSet(path, chosen, filter_split(items, None if chosen == "all" else chosen)))
    return sets


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list", dict: "object"}.get(
        type(v), type(v).__name__
    )


def _describe(v: Any) -> str:
    if isinstance(v, str):
        return "an empty string" if not v.strip() else f"string {_shorten(v)!r}"
    if isinstance(v, list):
        bad = [x for x in v if not isinstance(x, str)]
        return f"a list holding {_type_name(bad[0])}" if bad else "a list"
    return _type_name(v)


def _shorten(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"
