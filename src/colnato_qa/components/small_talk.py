"""Small talk: greetings, thanks, goodbyes, "who are you?" and bare acknowledgements ("ok").

``SmallTalk().run(text) -> str | None``: the kind of small talk ``text`` is ("greeting",
"thanks", "farewell", "about", "acknowledgement"), or None when it asks something else;
``reply(kind, topic)`` what the bot says back (the engine's ``reply``, the chat page's message).

A message is small talk when it is short and *every* word of it belongs to the conversational
phrases below (general English, no word of any article): "hi there!", "thanks a lot",
"good morning, bot", "what can you do?". A single word that is not conversational ("hi, who
signed it?") makes it a question, which goes to the engine as usual. Words of four letters or
more also match a conversational word one edit away ("helo", "thnaks").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rapidfuzz.distance import OSA

KINDS = ("about", "thanks", "farewell", "greeting", "acknowledgement")   # the order ties are broken in

# What a reply to small talk says, by kind; {topic} is what the bot knows (``topic``).
REPLIES = {
    "greeting": "Hello! I answer questions about {topic}, quoting it word for word.",
    "thanks": "You're welcome! Ask me anything else about {topic}.",
    "farewell": "Goodbye! Come back with more questions about {topic}.",
    "about": "I'm a chatbot that answers questions about {topic}. Every answer is a quote from it, "
             "with a link to where it says so; when it doesn't say, I tell you.",
    "acknowledgement": "Anything else you'd like to know about {topic}?",
}


def topic(documents: Sequence[Any]) -> str:
    """What the bot knows, for its own sentences: "the article “<title>”"."""
    if len(documents) == 1:
        return f"the article “{documents[0].title.split(':')[0].strip()}”"
    return f"{len(documents)} articles"


def reply(kind: str, about: str) -> str:
    """What the bot says to small talk of ``kind`` (KINDS), ``about`` being its ``topic``."""
    return REPLIES[kind].format(topic=about)

# Phrases of each kind, as runs of words (apostrophes dropped: "what's" is "whats").
_PHRASES: dict[str, tuple[str, ...]] = {
    "greeting": (
        "hi", "hello", "hey", "heya", "hiya", "howdy", "greetings", "yo", "hola", "bonjour", "hallo", "ciao",
        "good morning", "good afternoon", "good evening", "good day", "morning", "evening",
        "whats up", "sup", "how are you", "how are you doing", "how is it going", "hows it going",
        "how do you do", "nice to meet you", "pleased to meet you",
    ),
    "thanks": (
        "thanks", "thank you", "thank u", "thx", "ty", "cheers", "much appreciated", "appreciate it",
        "thanks a lot", "many thanks", "gracias", "merci", "that helps", "that helped", "thats helpful", "helpful",
        "very helpful", "good job", "great job", "well done", "nice one",
    ),
    "farewell": (
        "bye", "goodbye", "bye bye", "see you", "see ya", "see you later", "later", "good night", "farewell",
        "take care", "have a nice day", "have a good day",
    ),
    "about": (
        "who are you", "what are you", "what can you do", "what do you do", "how does this work",
        "how do i use this", "help", "help me", "what can i ask", "what should i ask", "are you a bot",
        "are you human", "what is this",
    ),
    "acknowledgement": (
        "ok", "okay", "k", "cool", "great", "nice", "good", "got it", "i see", "alright", "all right", "fine",
        "perfect", "awesome", "wow", "interesting", "yes", "no", "yeah", "nope", "sure", "hmm", "lol",
        "makes sense", "that makes sense",
    ),
}
# Words that may come with any of them ("hi there bot", "thanks so much").
_FILLERS = frozenset("""
there all everyone everybody folks friend buddy mate bot chatbot assistant again so very much really
a lot oh well and then please just for the help
""".split())
MAX_WORDS = 8
MIN_FUZZY_CHARS = 4
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Small talk, a comma or a mark, then the rest of the message.
_OPENING = re.compile(r"^\s*(?P<talk>[^,.!?;:]+)[,.!?;:]+\s*(?P<rest>\S.*)$", re.S)


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text``, apostrophes dropped ("What's" -> "whats")."""
    return _WORD.findall(text.casefold().replace("'", "").replace("\u2019", ""))


class SmallTalk:
    """Tells small talk from questions (see the module doc)."""

    def __init__(self, max_words: int = MAX_WORDS, min_fuzzy_chars: int = MIN_FUZZY_CHARS) -> None:
        if max_words < 1:
            raise ValueError(f"max_words must be at least 1, got {max_words}")
        self.max_words = max_words
        self.min_fuzzy_chars = min_fuzzy_chars
        self._phrases = sorted(((tuple(p.split()), kind) for kind, ps in _PHRASES.items() for p in ps),
                               key=lambda item: -len(item[0]))
        self._vocabulary = {w for phrase, _ in self._phrases for w in phrase} | _FILLERS

    def run(self, text: str) -> str | None:
        tokens = [self._known(w) for w in words_of(text or "")]
        if not tokens or len(tokens) > self.max_words or None in tokens:
            return None
        found: set[str] = set()
        i = 0
        while i < len(tokens):
            for phrase, kind in self._phrases:
                if tuple(tokens[i:i + len(phrase)]) == phrase:
                    found.add(kind)
                    i += len(phrase)
                    break
            else:
                if tokens[i] not in _FILLERS:
                    return None
                i += 1
        return next((kind for kind in KINDS if kind in found), None)

    def without_opening(self, text: str) -> str:
        """``text`` without the small talk it opens with, when a question follows: "hi, who is Uribe?" asks "who
        is Uribe?"; "thanks! and when was it signed?" asks "and when was it signed?". Anything else as it is."""
        m = _OPENING.match(text or "")
        if m is None or self.run(m.group("talk")) is None or self.run(m.group("rest")) is not None:
            return text
        return m.group("rest")

    def _known(self, word: str) -> str | None:
        """``word`` as a conversational word (itself, or one edit away when long enough), else None."""
        if word in self._vocabulary:
            return word
        if len(word) < self.min_fuzzy_chars:
            return None
        close = [v for v in self._vocabulary if len(v) >= self.min_fuzzy_chars and OSA.distance(word, v) <= 1]
        return close[0] if len(close) == 1 else None
