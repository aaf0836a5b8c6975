"""Features for training: cached encoder embeddings and character n-grams.

Embeddings are the expensive part (~90k tweets through MiniLM), so they are cached under
`~/.cache/earshot/embeddings/`, keyed by the encoder export and the exact texts; a second
`earshot train` with the same data only fits the heads. The cache never goes in the repo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.classifier.models.encoder import Encoder, cache_root

if TYPE_CHECKING:
    import numpy as np

# Part of the cache key. 2: int8 embeddings made on an x86 CPU without VNNI before the
# encoder asked ONNX Runtime for exact int8 products (`encoder.session_options`) were off.
CACHE_VERSION = b"2"


def embed(texts: Sequence[str], encoder: Encoder) -> np.ndarray:
    import numpy as np

    digest = hashlib.sha256(CACHE_VERSION + b"\x00" + encoder.key.encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    path = cache_root() / "embeddings" / f"{digest.hexdigest()[:24]}.npy"
    if path.is_file():
        return np.load(path)
    vectors = encoder.encode(list(texts), progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    return vectors
