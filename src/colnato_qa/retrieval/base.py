"""What every retriever returns: ranked hits, row numbers of searchable passages with a score.

Each retriever (dense.py, bm25.py, sentences.py) has ``search(query_text, query_vector, k) ->
list[Hit]``, best first; another backend (OpenSearch k-NN, Qdrant) is an addition of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    row: int        # row of the searchable passage (0-based, the order the index was built in)
    score: float

