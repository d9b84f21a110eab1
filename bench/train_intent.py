"""Train the learned reading's model (lib/llm_router/intent/intent-model.json).

    python3 -m venv /tmp/train && /tmp/train/bin/pip install scikit-learn
    /tmp/train/bin/python bench/train_intent.py            # cross-check, print the scores
    /tmp/train/bin/python bench/train_intent.py --write    # ... and write the model
    /tmp/train/bin/python bench/train_intent.py --holdout intent_fresh_13.jsonl

A developer's tool: scikit-learn is needed here only; the plugin reads the written JSON with the
standard library (learned.py). The training set is every labelled file in tests/data that
TRAINED_ON names; a batch written later to measure the model must not be added before it has
been scored once.

Without --holdout the script leaves out each of the newest batches in turn (HELD_OUT_CHECKS),
trains on the rest and prints what the whole detector (grammar, second reading, then this model)
scores on the batch it did not see: the estimate for a new writer. The learned reading is
only consulted where the rules found nothing, so the batches the rules were tuned on flatter
the combined figure; the "model alone" columns do not have that bias.
"""

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
MODEL = ROOT / "lib" / "llm_router" / "intent" / "intent-model.bin"
TRAINED_ON = ["intent_utterances.jsonl", "intent_probe.jsonl",
              *(f"intent_fresh_{n}.jsonl" for n in range(1, 76)),
              *(f"intent_train_{n}.jsonl" for n in range(1, 29))]  # written for training, never measured
HELD_OUT_CHECKS = [f"intent_fresh_{n}.jsonl" for n in (44, 45, 46, 47)] + ["intent_probe.jsonl"]
C = 8.0            # inverse regularisation strength (2, 4, 8, 16 tried on the held-out checks)
BLOCKS = (1 << 15, 1 << 13)  # hashed buckets for n-grams and for words: 40960 x 6 floats = 960 KiB
MAX_CHARS = 280    # detect.MAX_CHARS: longer prompts never reach the model
TOGGLES = ("enable", "disable", "status", "once")

sys.path.insert(0, str(ROOT / "lib"))
from llm_router.intent import detect, learned  # noqa: E402


def load(name: str) -> list:
    path = DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def train(rows: list) -> dict:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    rows = [r for r in rows if len(r["text"]) <= MAX_CHARS]
    blocks, idf = [], []
    for k, size in enumerate(BLOCKS):
        data, columns, pointers = [], [], [0]
        for row in rows:
            counts = learned.buckets(learned.grams(row["text"])[k], size)
            columns.extend(counts)
            data.extend(counts.values())
            pointers.append(len(columns))
        counts = csr_matrix((data, columns, pointers), shape=(len(rows), size), dtype=float)
        tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        blocks.append(tfidf.transform(counts))
        idf.extend(float(v) for v in tfidf.idf_)
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    model.fit(hstack(blocks).tocsr(), [r["action"] for r in rows])
    return {"classes": [str(c) for c in model.classes_],
            "intercept": [float(b) for b in model.intercept_],
            "blocks": list(BLOCKS), "C": C, "threshold": learned.THRESHOLD,
            "trained_on": {name: len(load(name)) for name in TRAINED_ON},
            "idf": idf, "weights": [[float(w) for w in row] for row in model.coef_]}


def write(model: dict, path: Path) -> None:
    """learned.load's format: a JSON header line, then idf and weights as little-endian float32."""
    from array import array

    header = {k: v for k, v in model.items() if k not in ("idf", "weights")}
    values = array("f", model["idf"])
    for row in model["weights"]:
        values.extend(row)
    if sys.byteorder == "big":
        values.byteswap()
    path.write_bytes(json.dumps(header, sort_keys=True).encode() + b"\n" + values.tobytes())


def as_loaded(model: dict) -> dict:
    """The model as learned.load returns it (float32 rounding included), via a temporary file."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.bin"
        write(model, path)
        return learned.load(str(path))


def score(rows: list, model: dict) -> dict:
    """Recall per action and false toggles, for the whole detector and for the model alone."""
    learned._model = model
    hit, alone, support, false, false_alone = Counter(), Counter(), Counter(), [], 0
    for row in rows:
        said = detect.classify(row["text"])["action"]
        guess, probability = learned.predict(row["text"][:MAX_CHARS])
        guess = guess if probability >= learned.THRESHOLD else "none"
        support[row["action"]] += 1
        hit[row["action"]] += said == row["action"]
        alone[row["action"]] += guess == row["action"]
        if row["action"] == "none" and said != "none":
            false.append((said, row["text"]))
        false_alone += row["action"] == "none" and guess != "none"
    learned._model = None
    return {"recall": {a: hit[a] / support[a] for a in TOGGLES if support[a]},
            "alone": {a: alone[a] / support[a] for a in TOGGLES if support[a]},
            "false": false, "false_alone": false_alone, "negatives": support["none"]}


def report(name: str, result: dict) -> None:
    both = " ".join(f"{a}={v:.2f}" for a, v in result["recall"].items())
    alone = " ".join(f"{a}={v:.2f}" for a, v in result["alone"].items())
    print(f"{name:28s} detector {both}  false {len(result['false'])}/{result['negatives']}"
          f"   | model alone {alone}  false {result['false_alone']}")
    for action, text in result["false"]:
        print(f"    false {action}: {text!r}")


def main(argv: list) -> int:
    holdouts = [argv[argv.index("--holdout") + 1]] if "--holdout" in argv else HELD_OUT_CHECKS
    for held in holdouts:
        rows = [r for name in TRAINED_ON if name != held for r in load(name)]
        report(f"{held} (unseen)", score(load(held), as_loaded(train(rows))))
    if "--write" in argv:
        write(train([r for name in TRAINED_ON for r in load(name)]), MODEL)
        print(f"wrote {MODEL.relative_to(ROOT)}: {MODEL.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
