"""The retriever interface: a query in, ranked hits (row numbers of searchable passages) out.

Another backend (OpenSearch k-NN, Qdrant) is an addition: implement ``search`` for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Hit:
    row: int        # row of the searchable passage (0-based, the order the index was built in)
    score: float


class Retriever(Protocol):
    def search(self, query_text: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
        """The ``k`` best rows, best first."""
        ...
