"""Per-language sentiment specialists: a tf-idf n-gram model per language, fitted on that
language's tweets alone and blended into the shared sentiment head for texts in it.

The shared heads learn every language at once, and the 48k English SemEval tweets dominate
them: on the UMSAB val splits they scored 0.53-0.59 macro-F1 on Spanish, Italian, Portuguese,
French and Arabic. A linear model on tf-idf weighted character 2-5-grams and word 1-2-grams,
fitted on one language's 1.8k UMSAB train tweets, did better alone on most of those languages,
and the log-space blend of the two took the UMSAB average from 0.566 to ~0.60 (see
docs/classifier.md). English keeps the shared head: there the encoder is much stronger.

Features are hashed (no vocabulary to ship): character n-grams with the same fast hasher as
the shared n-gram head (counts instead of presence), word n-grams hashed as scikit-learn's
HashingVectorizer hashes them (`ngrams.WordNgramHasher`, without importing scikit-learn).
Each block: sublinear tf (1 + log count), times the language's idf, L2-normalised. Two more
columns count the language's positive and negative polarity cues (models/polarity.py), so
complaint words the train tweets rarely use still count. Only n-grams seen in at least MIN_DF
of the language's train tweets keep an idf; the rest weigh 0, which keeps the stored model
small. Stored float16, used as float32; the training code scores val with the rounded arrays,
so the model card's figures are what runs.

Since `minilm-l3-lora-v1-int8-v3` a specialist also reads the text's sentence embedding (the
same pooled MiniLM layers the shared head reads, times EMBEDDING_SCALE), fitted jointly with
the n-grams on the language's own tweets: the shared head learns the embedding mostly from
English, while the language's own tweets say which directions carry sentiment there. In
5-fold cross-validation on each language's train tweets that lifted the specialists alone
from 0.559 to 0.584 macro-F1 (mean over the 7 languages; every language gained), see
docs/classifier.md. Specialists stored without an embedding block score as before.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

CHAR_RANGE = (2, 5)
WORD_RANGE = (1, 2)
BLOCK_FEATURES = 2**18  # per block; the model's columns are char block, then word block
MIN_DF = 2
# Weight of the sentence embedding beside the unit-norm tf-idf blocks in a specialist's
# features. 5-fold cross-validation on the 7 languages' train tweets (C = 4): 0.5 gave 0.584
# mean macro-F1, 1.0 gave 0.580, 2.0 gave 0.576, n-grams alone 0.559.
EMBEDDING_SCALE = 0.5


@cache
def _hashers() -> tuple[Any, Any]:
    from services.classifier.models.ngrams import CharNgramHasher, WordNgramHasher

    chars = CharNgramHasher(CHAR_RANGE, BLOCK_FEATURES, counts=True)
    return chars, WordNgramHasher(WORD_RANGE, BLOCK_FEATURES)


def ngram_counts(texts: Sequence[str]) -> tuple[Any, Any]:
    """Raw counts of the character and the word block, one CSR row per text."""
    chars, words = _hashers()
    return chars.transform(list(texts)), words.transform(list(texts))


def tfidf(counts: Any, idf: np.ndarray) -> Any:
    """Sublinear tf times idf, rows L2-normalised (a CSR copy)."""
    import numpy as np

    x = counts.astype(np.float32, copy=True)
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    x.eliminate_zeros()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x.data /= np.repeat(norms, np.diff(x.indptr)).astype(np.float32)
    return x


def fit_idf(counts: Any, min_df: int = MIN_DF) -> np.ndarray:
    """Smoothed idf (scikit-learn's formula) per column; 0 where df < min_df. float16-exact."""
    import numpy as np

    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    idf[df < min_df] = 0.0
    return idf.astype(np.float16).astype(np.float32)


def features(
    texts: Sequence[str],
    char_idf: np.ndarray,
    word_idf: np.ndarray,
    language: str,
    counts: tuple[Any, Any] | None = None,
) -> Any:
    """Columns: character tf-idf block, word tf-idf block, then the language's two polarity
    cue features (models/polarity.py). `counts`: the texts' `ngram_counts`, if already made."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    from services.classifier.models.polarity import cue_features

    chars, words = counts if counts is not None else ngram_counts(texts)
    cues = csr_matrix(np.asarray(cue_features(list(texts), language), dtype=np.float32))
    return hstack([tfidf(chars, char_idf), tfidf(words, word_idf), cues], format="csr")


CUE_FEATURES = 2


@dataclass
class LanguageSpecialist:
    """One language's model: idf per block and softmax-regression weights, dense in memory
    (2 x 2^18 + 2 columns, ~7 MB), stored sparse (only columns with an idf, and the cues);
    optionally weights on the sentence embedding too (`emb_w`, read at `emb_scale`)."""

    language: str  # ISO 639-1: which polarity cues it reads
    char_idf: np.ndarray  # (BLOCK_FEATURES,)
    word_idf: np.ndarray  # (BLOCK_FEATURES,)
    w: np.ndarray  # (2 * BLOCK_FEATURES + CUE_FEATURES, k)
    b: np.ndarray  # (k,)
    emb_w: np.ndarray | None = None  # (embedding dim, k); None: n-grams and cues only
    emb_scale: float = 0.0

    @property
    def reads_embedding(self) -> bool:
        return self.emb_w is not None

    def logprobs(
        self,
        texts: Sequence[str],
        counts: tuple[Any, Any] | None = None,
        emb: np.ndarray | None = None,
    ) -> np.ndarray:
        """Log-probabilities per text; `emb`: the texts' sentence embeddings (one row each),
        required when the specialist reads them."""
        import numpy as np

        from services.classifier.models.heads import log_softmax

        x = features(texts, self.char_idf, self.word_idf, self.language, counts)
        z = np.asarray(x @ self.w, dtype=np.float64) + self.b
        if self.emb_w is not None:
            if emb is None or len(emb) != len(texts):
                raise ValueError(f"the {self.language} specialist needs each text's embedding")
            # float64 for the same reason as TaskHead: a row's score must not depend on its batch.
            z += (np.asarray(emb, dtype=np.float64) * self.emb_scale) @ self.emb_w
        return log_softmax(z)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        import numpy as np

        idf = np.concatenate([self.char_idf, self.word_idf])
        cols = np.flatnonzero(idf).astype(np.int32)
        arrays = {
            f"{prefix}.cols": cols,
            f"{prefix}.idf": idf[cols].astype(np.float16),
            f"{prefix}.w": self.w[cols].astype(np.float16),
            f"{prefix}.cue_w": self.w[len(idf) :].astype(np.float16),
            f"{prefix}.b": self.b.astype(np.float32),
        }
        if self.emb_w is not None:
            arrays[f"{prefix}.emb_w"] = self.emb_w.astype(np.float16)
            arrays[f"{prefix}.emb_scale"] = np.asarray(self.emb_scale, dtype=np.float32)
        return arrays

    @classmethod
    def load(cls, prefix: str, arrays: Mapping[str, Any], language: str) -> LanguageSpecialist:
        """Built from stored arrays; the same arrays loaded again (an organisation model
        carries its base's specialists) return the model already in memory (~8 MB each)."""
        import hashlib

        import numpy as np

        digest = hashlib.sha256(language.encode())
        for part in ("cols", "idf", "w", "cue_w", "b", "emb_w", "emb_scale"):
            if f"{prefix}.{part}" in arrays:
                array = np.ascontiguousarray(arrays[f"{prefix}.{part}"])
                digest.update(part.encode())
                digest.update(memoryview(array).cast("B"))
        key = digest.hexdigest()
        with _LOADED_LOCK:
            loaded = _LOADED.get(key)
            if loaded is None:
                loaded = _LOADED[key] = cls._build(prefix, arrays, language)
        return loaded

    @classmethod
    def _build(cls, prefix: str, arrays: Mapping[str, Any], language: str) -> LanguageSpecialist:
        import numpy as np

        cols = np.asarray(arrays[f"{prefix}.cols"], dtype=np.int64)
        sparse_w = np.asarray(arrays[f"{prefix}.w"], dtype=np.float32)
        idf = np.zeros(2 * BLOCK_FEATURES, dtype=np.float32)
        idf[cols] = np.asarray(arrays[f"{prefix}.idf"], dtype=np.float32)
        w = np.zeros((2 * BLOCK_FEATURES + CUE_FEATURES, sparse_w.shape[1]), dtype=np.float32)
        w[cols] = sparse_w
        w[2 * BLOCK_FEATURES :] = np.asarray(arrays[f"{prefix}.cue_w"], dtype=np.float32)
        has_emb = f"{prefix}.emb_w" in arrays
        return cls(
            language=language,
            char_idf=idf[:BLOCK_FEATURES],
            word_idf=idf[BLOCK_FEATURES:],
            w=w,
            b=np.asarray(arrays[f"{prefix}.b"], dtype=np.float32),
            emb_w=np.asarray(arrays[f"{prefix}.emb_w"], dtype=np.float64) if has_emb else None,
            emb_scale=float(arrays[f"{prefix}.emb_scale"]) if has_emb else 0.0,
        )

    def rounded(self) -> LanguageSpecialist:
        """The model as stored (float16 weights): what inference will run."""
        return LanguageSpecialist._build("m", self.to_arrays("m"), self.language)


# Loaded specialists by content digest, held only while some head uses them.
_LOADED: weakref.WeakValueDictionary[str, LanguageSpecialist] = weakref.WeakValueDictionary()
_LOADED_LOCK = threading.Lock()


def blend_specialists(
    logprobs: np.ndarray,
    texts: Sequence[str],
    languages: Sequence[str],
    specialists: Mapping[str, LanguageSpecialist],
    weight: float,
    emb: np.ndarray | None = None,
) -> np.ndarray:
    """Rows whose language has a specialist get weight * specialist + (1 - weight) * shared
    log-probs; the others are returned as they are. One specialist call per language; the
    n-grams of all those rows are counted in one pass (a service batch of 64 mentions often
    holds several languages, and each pass has a fixed cost). `emb`: every text's sentence
    embedding, for specialists that read it."""
    import numpy as np

    if not specialists or weight <= 0.0:
        return logprobs
    out = np.array(logprobs, dtype=np.float64, copy=True)
    codes = np.asarray(list(languages), dtype=object)
    covered = np.flatnonzero(np.isin(codes, list(specialists)))
    if not len(covered):
        return out
    chars, words = ngram_counts([texts[i] for i in covered])
    for code, specialist in specialists.items():
        picked = np.flatnonzero(codes[covered] == code)  # positions within `covered`
        if len(picked):
            rows = covered[picked]
            own = specialist.logprobs(
                [texts[i] for i in rows],
                (chars[picked], words[picked]),
                emb[rows] if emb is not None else None,
            )
            out[rows] = weight * own + (1.0 - weight) * out[rows]
    return out
