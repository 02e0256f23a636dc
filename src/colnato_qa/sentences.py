"""Sentence boundaries with character offsets, from pysbd (survives "U.S." and "(2002-2010)")."""

from __future__ import annotations

import functools
import re

from .types import Span


@functools.lru_cache(maxsize=1)
def _segmenter():
    import pysbd  # imported lazily: only index builds split sentences

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


_LINE_BREAK = re.compile(r"\n+")


def split_sentences(text: str) -> list[Span]:
    """Spans of the sentences of ``text``, trimmed of surrounding whitespace, in order.

    Offsets are found by searching each segment from the end of the previous one, so the
    spans always index the original text exactly. Line breaks always end a sentence.
    """
    spans: list[Span] = []
    pos = 0
    for line in _LINE_BREAK.split(text):
        line_start = text.find(line, pos) if line else pos
        if not line.strip():
            pos = line_start + len(line)
            continue
        cursor = line_start
        for seg in _segmenter().segment(line):
            seg = seg.strip()
            if not seg:
                continue
            start = text.find(seg, cursor)
            if start < 0:  # pysbd altered the text (it should not with clean=False); fall back
                start = cursor
                seg = text[cursor:line_start + len(line)].strip()
                start = text.find(seg, cursor) if seg else cursor
            spans.append(Span(start, start + len(seg)))
            cursor = start + len(seg)
        pos = line_start + len(line)
    return spans
