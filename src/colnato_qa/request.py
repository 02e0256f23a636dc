"""The one contract for a question: ``AskRequest`` (the question and the earlier turns).

The HTTP API takes it as its body, the CLI reads each batch line into it, and the engine checks
every ``ask()`` against it, so the rules and their messages are the same at every door:

* ``question``: a string; no control characters (tab and line breaks aside); not blank;
  at most ``max_question_chars`` characters once whitespace runs are collapsed.
* ``history``: null or a list of at most ``max_history_turns`` turns, oldest first. A turn is
  ``{"role": "user"|"assistant", "content": string}`` (exactly those keys) or a string, which is
  short for a user turn. Control characters are dropped from a turn, whitespace collapsed,
  very long turns cut, and empty turns left out.

The limits come from the validation context (the engine passes its settings); without one,
the defaults below apply. ``describe(errors)`` turns pydantic's errors into one readable
sentence per problem.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.dataclasses import dataclass

from .errors import InvalidHistoryError, InvalidQuestionError

DEFAULT_MAX_QUESTION_CHARS = 1000
DEFAULT_MAX_HISTORY_TURNS = 100
# A turn's content is cut to this many times the question limit (an assistant turn may quote a paragraph).
TURN_CHARS_PER_QUESTION_CHAR = 4
ROLES = ("user", "assistant")
_ALLOWED_CONTROL = {"\n", "\t", "\r"}


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class HistoryTurn:
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: str = Field(description="What was said.")


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages ("a number", "an object"...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _limit(info: ValidationInfo, name: str, default: int) -> int:
    context = info.context or {}
    return int(context.get(name, default))


def _control_characters(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text
                   if unicodedata.category(c) in ("Cc", "Cs") and c not in _ALLOWED_CONTROL})


def _clean_turn(content: str, max_chars: int) -> str:
    content = "".join(c for c in content if unicodedata.category(c) not in ("Cc", "Cs") or c in _ALLOWED_CONTROL)
    return " ".join(content.split())[:max_chars]


_TURN_SHAPE = 'a string or an object {"role": "user"|"assistant", "content": string}'


class AskRequest(BaseModel):
    """A question about the article, with the earlier turns of the conversation if any."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [
            {"question": "When was it announced that Colombia would become a NATO global partner?"},
            {"question": "When was it signed?",
             "history": ["What is the Agreement on Cooperation and Security of Information?"]},
        ]},
    )
    question: str = Field(description=f"The question (1 to {DEFAULT_MAX_QUESTION_CHARS} characters, "
                                       "no control characters).")
    history: list[str | HistoryTurn] | None = Field(
        default=None,
        json_schema_extra={"maxItems": DEFAULT_MAX_HISTORY_TURNS},
        description="Earlier turns, oldest first: the user's questions as strings, or "
                    '{"role": "user"|"assistant", "content": str} objects. Used to read follow-ups '
                    'such as "When was it signed?".',
    )

    @field_validator("question", mode="before")
    @classmethod
    def _question_rules(cls, value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str):
            raise ValueError(f"The question must be a string, got {_json_type(value)}.")
        if any(unicodedata.category(c) == "Cs" for c in value):
            # A lone surrogate: bytes that were not UTF-8 (a shell argument in another encoding) or broken JSON.
            raise ValueError("The question holds bytes that are not valid UTF-8 text; type it again or save it as "
                             "UTF-8, and ask again.")
        bad = _control_characters(value)
        if bad:
            raise ValueError(f"The question contains control characters ({', '.join(bad[:5])}); "
                             "remove them and ask again.")
        text = " ".join(value.split())
        if not text:
            raise ValueError("The question is empty. Ask something about the article.")
        max_chars = _limit(info, "max_question_chars", DEFAULT_MAX_QUESTION_CHARS)
        if len(text) > max_chars:
            raise ValueError(f"The question is {len(text)} characters long; the limit is {max_chars}. "
                             "Ask a shorter question.")
        return text

    @field_validator("history", mode="before")
    @classmethod
    def _history_rules(cls, value: Any, info: ValidationInfo) -> list[HistoryTurn] | None:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"history must be a list of turns, each {_TURN_SHAPE}; got {_json_type(value)}.")
        max_turns = _limit(info, "max_history_turns", DEFAULT_MAX_HISTORY_TURNS)
        if len(value) > max_turns:
            raise ValueError(f"history has {len(value)} turns; the limit is {max_turns}. "
                             "Send only the most recent turns (follow-ups are read from the last few).")
        max_chars = _limit(info, "max_question_chars", DEFAULT_MAX_QUESTION_CHARS) * TURN_CHARS_PER_QUESTION_CHAR
        turns: list[HistoryTurn] = []
        for i, item in enumerate(value):
            if isinstance(item, HistoryTurn):
                role, content = item.role, item.content
            elif isinstance(item, str):
                role, content = "user", item
            elif isinstance(item, dict):
                if set(item) != {"role", "content"}:
                    raise ValueError(f'history[{i}] must have exactly the keys "role" and "content", '
                                     f"got {sorted(map(str, item)) or 'no keys'}.")
                role, content = item["role"], item["content"]
                if role not in ROLES:
                    raise ValueError(f'history[{i}].role must be "user" or "assistant", got {role!r}.')
                if not isinstance(content, str):
                    raise ValueError(f"history[{i}].content must be a string, got {_json_type(content)}.")
            else:
                raise ValueError(f"history[{i}] must be {_TURN_SHAPE}, got {_json_type(item)}.")
            content = _clean_turn(content, max_chars)
            if content:
                turns.append(HistoryTurn(role, content))
        return turns

    @property
    def turns(self) -> list[HistoryTurn]:
        """The history as turns (strings are read as user turns by the validator)."""
        return [t for t in self.history or () if isinstance(t, HistoryTurn)]

    @classmethod
    def parse(cls, question: Any, history: Any = None, *, max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS,
              max_history_turns: int = DEFAULT_MAX_HISTORY_TURNS) -> "AskRequest":
        """Validate a question and its history; raise InvalidQuestionError or InvalidHistoryError
        whose message says what is wrong and how to fix it."""
        try:
            return cls.model_validate({"question": question, "history": history}, context={
                "max_question_chars": max_question_chars, "max_history_turns": max_history_turns})
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            on_question = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("question",)]
            if on_question:
                raise InvalidQuestionError(describe(on_question)) from None
            raise InvalidHistoryError(describe(errors)) from None


# -- messages ------------------------------------------------------------------------------------
def _where(loc: tuple[Any, ...]) -> str:
    """("body", "history", 0, "role") -> "history[0].role"; the body itself -> "body"."""
    out = ""
    for p in loc:
        if p == "body" and not out:
            continue
        if isinstance(p, int):
            out += f"[{p}]"
        elif p in ("str", "HistoryTurn"):
            continue  # union branch names say nothing to the caller
        else:
            out += ("." if out else "") + str(p)
    return out or "body"


def describe(errors: list[dict[str, Any]]) -> str:
    """One readable sentence per pydantic validation error (duplicates dropped)."""
    messages: list[str] = []
    for err in errors:
        kind = err.get("type", "")
        loc = tuple(err.get("loc", ()))
        if kind == "json_invalid":
            ctx = err.get("ctx") or {}
            reason = ctx.get("error") or err.get("msg") or "invalid JSON"
            pos = loc[1] if len(loc) > 1 else None
            at = f" at character {pos}" if isinstance(pos, int) else ""
            messages.append(f"The request body is not valid JSON ({reason}{at}).")
            continue
        where = _where(loc)
        msg = str(err.get("msg", "invalid value"))
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            messages.append(msg + ("" if msg.endswith(".") else "."))
        elif kind == "missing":
            messages.append('The request body is missing: send JSON like {"question": "..."}.' if where == "body"
                            else f"The field '{where}' is missing.")
        elif kind == "model_attributes_type" and where == "body":
            messages.append('The request body must be a JSON object like {"question": "..."}.')
        elif kind == "extra_forbidden":
            messages.append(f"Unknown field '{where}': the body takes only 'question' and 'history'.")
        else:
            got = f" (got {_json_type(err.get('input'))})" if "input" in err and kind.endswith("_type") else ""
            messages.append(f"The field '{where}' is invalid: {msg}{got}.")
    return " ".join(dict.fromkeys(messages)) or "The request is not valid."
