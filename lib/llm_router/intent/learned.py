"""The third reading: a small learned classifier for phrasings no rule was written for.

The grammar (grammar.py) and the second reading (cues.py) are precise, but every new writer
brings words they were never shown: the feature's own names ("the router", "the delegation
thing", "offloading"), typos in every word, "mode?". This reading scores a prompt with a linear
model over character n-grams and word pairs. It runs only when the other two found nothing,
and only on a prompt their guards let through (detect._third_reading): no quoted material, no
condition, plan, take-back, someone else's words, irony, advice, aside or past, and no code on
a one-line prompt. A verdict needs the model's probability of at least THRESHOLD.

The model is data, not code: intent-model.bin beside this file, written by
bench/train_intent.py (scikit-learn's LogisticRegression, offline) from the labelled sets in
tests/data. It is the plugin's own file, never one a repository ships. At run time only the
standard library is used, and `features` is the same function the training script vectorised
with, so what was trained is what runs.
"""

# No imports at module level: this is imported inside detect, in the prompt hook.

MODEL_FILE = "intent-model.bin"
THRESHOLD = 0.65  # the lowest class probability acted on: held-out probe negatives reached 0.55
OVERRULE = 0.85  # ... and the probability at which it overrules the rules (detect._overruled)
SOFT_SURE = 0.8  # ... behind a soft guard (0.75 and 0.7 tried: 0.7 made a held-out probe negative a toggle)
SURE = 0.90  # ... on a frame the grammar read but held back (a guard it saw, a question after it); 0.94
# until batches 32-33: 0.90 and 0.85 made no held-out negative a toggle, 0.90 keeps a margin
CHAR_SIZES = (3, 5)  # 2-5 scored the same on held-out batches and cost twice as much per prompt
_STRIP = "()[]{}<>\"'*_~!?.,;:"
_model = None


def grams(text: str) -> tuple:
    """The prompt's features in two blocks, as UTF-8 bytes, after quoted material and code are
    replaced by guards.QUOTED: byte n-grams of each word padded with
    spaces (as scikit-learn's "char_wb"), and its words and word pairs. Each block is normalised
    on its own, so a prompt's few words weigh as much as its many n-grams."""
    from .guards import strip_quoted

    chars: list = []
    words = strip_quoted(text).lower().split()  # the model never reads quoted material or code
    for word in words:
        padded = b" " + word.encode("utf-8", "surrogatepass") + b" "
        for size in CHAR_SIZES:
            chars += [padded[start:start + size] for start in range(len(padded) - size + 1)]
    bare = [w for w in (w.strip(_STRIP) for w in words) if w]
    pairs = [*bare, *(f"{a} {b}" for a, b in zip(bare, bare[1:]))]
    return chars, [w.encode("utf-8", "surrogatepass") for w in pairs]


def buckets(features: list, size: int, offset: int = 0) -> dict:
    """{bucket: count}: each feature hashed into one of `size` buckets (from `offset`) by CRC-32, a
    hash that is the same in every process (str's hash() is salted per process)."""
    from zlib import crc32

    counts: dict = {}
    for feature in features:
        bucket = offset + crc32(feature) % size
        counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def vector(text: str, model: dict) -> dict:
    """{bucket: value} for each block: 1 + log(count), times the bucket's idf, L2-normalised
    (scikit-learn's TfidfTransformer with sublinear_tf, which the training script fits)."""
    from math import log, sqrt

    idf, out, offset = model["idf"], {}, 0
    for features, size in zip(grams(text), model["blocks"]):
        values = {b: (1.0 + log(c)) * idf[b] if c > 1 else idf[b]
                  for b, c in buckets(features, size, offset).items()}
        norm = sqrt(sum([v * v for v in values.values()])) or 1.0
        out.update((b, v / norm) for b, v in values.items())
        offset += size
    return out


def load(path: str | None = None) -> dict:
    """The model file: one JSON header line ({"classes", "intercept", "blocks", ...}), then the
    idf of every bucket and each class's weight per bucket, as little-endian float32 (a 1 MB JSON
    of weights takes 15 ms to parse; this takes well under one)."""
    global _model
    if path is None and _model is not None:
        return _model
    import os
    import sys

    from ..errors import ConfigError
    from ..io import fastjson  # `import json` would cost the hook 6 ms

    file = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), MODEL_FILE)
    try:
        with open(file, "rb") as handle:
            header = fastjson.loads(handle.readline().decode("utf-8"))
            raw = handle.read()
        if sys.byteorder == "little":
            values = memoryview(raw).cast("f")  # no copy, and no `array` import (1 ms cold)
        else:
            from array import array

            values = array("f")
            values.frombytes(raw)
            values.byteswap()
        size, classes = sum(header["blocks"]), header["classes"]
        if len(values) != size * (1 + len(classes)) or len(header["intercept"]) != len(classes):
            raise ValueError(f"{len(values)} values for {size} buckets and {len(classes)} classes")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the intent model {file} is unreadable: {exc}", "reinstall the plugin") from exc
    model = {**header, "idf": values[:size],
             "weights": [values[size * (k + 1):size * (k + 2)] for k in range(len(classes))]}
    if path is None:
        _model = model
    return model


def predict(text: str, model: dict | None = None) -> tuple:
    """(the most probable class, its probability) under the model's softmax."""
    from math import exp

    model = model or load()
    features = list(vector(text, model).items())
    scores = [bias + sum([weights[b] * v for b, v in features])
              for bias, weights in zip(model["intercept"], model["weights"])]
    top = max(scores)
    exps = [exp(score - top) for score in scores]
    best = exps.index(max(exps))
    return model["classes"][best], exps[best] / sum(exps)
