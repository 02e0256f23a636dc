"""Domain errors. Each message says what is wrong and, where there is one, the fix."""

from __future__ import annotations


class ColnatoError(Exception):
    """Base class of every error colnato-qa raises on purpose."""


class InvalidQuestionError(ColnatoError, ValueError):
    """The question cannot be asked: empty, too long, control characters, wrong type."""


class InvalidHistoryError(ColnatoError, ValueError):
    """The conversation history is not a list of turns of the documented shape."""


class CorpusError(ColnatoError):
    """The corpus directory is missing, empty or holds an unreadable document."""


class IndexStoreError(ColnatoError):
    """The index directory cannot be read or written."""


class GoldFormatError(ColnatoError, ValueError):
    """A gold question-and-answer file is malformed."""


class ConfigError(ColnatoError, ValueError):
    """The configuration file or a setting is invalid."""
