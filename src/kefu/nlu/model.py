"""The trainable part of understanding: intent (with out-of-scope) and sentiment classifiers.

Features are the sentence embeddings of ``encoders`` beside TF-IDF over words (jieba for
Chinese) and character n-grams; one multinomial logistic regression per head. Confidences are
calibrated by temperature scaling on held-out messages.

Out of scope: when the held-out messages include out-of-scope ones, a small second logistic
regression (the *scorer*) is fitted on them. It weighs what the intent head says (the best
intent's confidence, the out-of-scope class's, the margin, the entropy, the raw logits) with how
near the message is to the training examples in embedding space (its nearest in-scope
neighbours, the nearest example of the intent it was given, and its nearest out-of-scope
training examples), and gives the chance that the message is in scope.
Without such messages the best intent's calibrated confidence is the score and the
``out_of_scope`` class winning rejects too. A message is out of scope below a threshold on the
score chosen on held-out messages: the one that catches the most out-of-scope messages for at
most ``oos_accuracy_cost`` (one point) of in-scope accuracy, at the least cost that does.

A model is a directory: ``manifest.json`` (version, labels, settings, data fingerprint, metrics)
and ``weights.npz`` (numbers only: vocabularies, idf weights, coefficients). Loading it executes
no code from the directory, so a model file cannot run anything.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from kefu.nlu import encoders, language, tokens

OUT_OF_SCOPE = "out_of_scope"
SENTIMENTS = ("negative", "neutral", "positive")
FORMAT = 3
# Format 1: no out-of-scope scorer, no neighbour bank; 2: no out-of-scope neighbours.
FORMATS = (1, 2, 3)
# The scorer needs this many out-of-scope messages among the held-out ones.
SCORER_MIN_OOS = 10
NEIGHBOURS = 5
SCORER_C = 0.1
SEED = 20261123

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Example:
    """One labelled message. ``sentiment`` is empty when unknown."""

    text: str
    label: str
    sentiment: str = ""
    language: str = ""


@dataclass(frozen=True)
class Settings:
    """How a model is trained; written to its manifest."""

    encoders: tuple[str, ...] = ("use",)
    embedding_weight: float = 2.0
    c: float = 10.0
    word_ngrams: int = 2
    char_ngrams: tuple[int, int] = (2, 4)
    holdout: float = 0.15
    max_iter: int = 400
    # In-scope accuracy (on held-out messages) given up to recognise out-of-scope ones.
    oos_accuracy_cost: float = 0.01


@dataclass(frozen=True)
class Ranked:
    label: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    """The intent heads' verdict on one message."""

    intent: str
    confidence: float
    top: tuple[Ranked, ...]
    out_of_scope: bool
    sentiment: str
    sentiment_score: float


@dataclass
class Head:
    """One linear classifier over the features: logits = X·Wᵀ + b, divided by a temperature."""

    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float = 1.0
    # Wᵀ, contiguous: a sparse row times the transposed view would copy all of W each call.
    columns: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.columns = np.ascontiguousarray(self.coef.T)

    def logits(self, features: sparse.csr_matrix) -> np.ndarray:
        result: np.ndarray = np.asarray(features @ self.columns) + self.intercept
        return result

    def probabilities(self, features: sparse.csr_matrix) -> np.ndarray:
        return _softmax(self.logits(features) / self.temperature)


@dataclass
class Bank:
    """The in-scope training examples' embeddings (unit vectors per encoder) and intents, and
    the out-of-scope training examples' embeddings: the neighbours a new message is compared
    with. ``outside`` is None in a format-2 model (it had no such neighbours)."""

    vectors: np.ndarray
    labels: np.ndarray  # index into the model's labels
    outside: np.ndarray | None = None
    # How many unit vectors (one per encoder) each row holds: the cosine of two rows is their
    # product divided by it.
    parts: int = field(init=False)

    def __post_init__(self) -> None:
        first = self.vectors[0] if len(self.vectors) else np.zeros(0)
        self.parts = max(1, round(float(np.sum(first.astype(np.float64) ** 2))))

    def similarities(self, vectors: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        """(n, 3), or (n, 5) with out-of-scope neighbours: the nearest in-scope example's
        cosine similarity, the mean of the nearest ``NEIGHBOURS``, the nearest example of the
        predicted intent; then the nearest out-of-scope example's and the mean of the nearest
        ``NEIGHBOURS`` of those (0 when there are none)."""
        width = 3 if self.outside is None else 5
        out = np.zeros((len(vectors), width), dtype=np.float32)
        for start in range(0, len(vectors), 256):
            rows = slice(start, start + 256)
            similar = (vectors[rows] @ self.vectors.T) / self.parts
            out[rows, 0], out[rows, 1] = _nearest(similar)
            same = self.labels[None, :] == predicted[rows, None]
            out[rows, 2] = np.where(same, similar, -1.0).max(axis=1)
            if self.outside is not None and len(self.outside):
                out[rows, 3], out[rows, 4] = _nearest((vectors[rows] @ self.outside.T) / self.parts)
        return out


def _nearest(similar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the largest similarity, and the mean of the ``NEIGHBOURS`` largest."""
    k = min(NEIGHBOURS, similar.shape[1])
    nearest = np.partition(similar, similar.shape[1] - k, axis=1)[:, -k:]
    return nearest.max(axis=1), nearest.mean(axis=1)


@dataclass
class Scorer:
    """The chance that a message is in scope, from what the intent head and the neighbours say:
    a logistic regression over standardised signals (see ``signals``)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def score(self, signals: np.ndarray) -> np.ndarray:
        result: np.ndarray = expit(
            ((signals - self.mean) / self.scale) @ self.coef + self.intercept
        )
        return result


@dataclass
class Model:
    manifest: dict[str, Any]
    words: TfidfVectorizer
    chars: TfidfVectorizer
    intent: Head
    sentiment: Head | None
    path: Path | None = None
    settings: Settings = field(default_factory=Settings)
    bank: Bank | None = None
    scorer: Scorer | None = None

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def threshold(self) -> float:
        return float(self.manifest["oos_threshold"])

    @property
    def labels(self) -> list[str]:
        return self.intent.labels

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.features_from(texts, encoders.embed(self.settings.encoders, texts))

    def features_from(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        normalised = [tokens.normalise(text) for text in texts]
        # The inputs are our own lists of strings: scikit-learn's checks of them cost more
        # than the transform of one message.
        with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
            words = self.words.transform(texts)
            chars = self.chars.transform(normalised)
        return sparse.hstack(
            [words, chars, embeddings * self.settings.embedding_weight],
            format="csr",
            dtype=np.float32,
        )

    def logits(self, features: sparse.csr_matrix) -> np.ndarray:
        return self.intent.logits(features)

    def in_scope_scores(self, logits: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """The score the out-of-scope threshold applies to: the scorer's chance of being in
        scope, or (without a scorer) the best intent's calibrated confidence; minus one when the
        out-of-scope class wins, so that a threshold of 0 or more always rejects then."""
        if self.scorer is not None and self.bank is not None:
            best = self.scorer.score(signals(self, logits, embeddings))
        else:
            probabilities = _softmax(logits / self.intent.temperature)
            in_scope = [i for i, label in enumerate(self.labels) if label != OUT_OF_SCOPE]
            best = probabilities[:, in_scope].max(axis=1)
        if OUT_OF_SCOPE in self.labels:
            wins = np.argmax(logits, axis=1) == self.labels.index(OUT_OF_SCOPE)
            best = np.where(wins, best - 1.0, best)
        result: np.ndarray = best
        return result

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        embeddings = encoders.embed(self.settings.encoders, texts)
        features = self.features_from(texts, embeddings)
        logits = self.logits(features)
        intents = _softmax(logits / self.intent.temperature)
        scores = self.in_scope_scores(logits, embeddings)
        feelings = self.sentiment.probabilities(features) if self.sentiment else None
        return [
            self._prediction(
                intents[row], float(scores[row]), None if feelings is None else feelings[row]
            )
            for row in range(len(texts))
        ]

    def _prediction(
        self, probabilities: np.ndarray, in_scope_score: float, feelings: np.ndarray | None
    ) -> Prediction:
        order = np.argsort(-probabilities)
        top = tuple(
            Ranked(self.labels[i], round(float(probabilities[i]), 4))
            for i in order
            if self.labels[i] != OUT_OF_SCOPE
        )[:3]
        out_of_scope = in_scope_score < self.threshold
        if feelings is None or self.sentiment is None:
            sentiment, score = "neutral", 0.0
        else:
            sentiment = self.sentiment.labels[int(np.argmax(feelings))]
            index = {label: i for i, label in enumerate(self.sentiment.labels)}
            score = float(feelings[index["positive"]] - feelings[index["negative"]])
        return Prediction(
            intent=OUT_OF_SCOPE if out_of_scope else top[0].label,
            confidence=top[0].confidence,
            top=top,
            out_of_scope=out_of_scope,
            sentiment=sentiment,
            sentiment_score=round(score, 4),
        )

    def save(self, directory: Path) -> None:
        """Write the model; the directory must not hold another model."""
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / "manifest.json").exists():
            raise FileExistsError(f"{directory} already holds a model")
        arrays: dict[str, np.ndarray] = {
            "word_vocabulary": np.array(_vocabulary(self.words), dtype=str),
            "word_idf": self.words.idf_.astype(np.float32),
            "char_vocabulary": np.array(_vocabulary(self.chars), dtype=str),
            "char_idf": self.chars.idf_.astype(np.float32),
            "intent_coef": self.intent.coef,
            "intent_intercept": self.intent.intercept,
        }
        if self.sentiment is not None:
            arrays["sentiment_coef"] = self.sentiment.coef
            arrays["sentiment_intercept"] = self.sentiment.intercept
        if self.bank is not None and self.scorer is not None:
            arrays["bank_vectors"] = self.bank.vectors.astype(np.float16)
            arrays["bank_labels"] = self.bank.labels.astype(np.int32)
            if self.bank.outside is not None:
                arrays["bank_outside"] = self.bank.outside.astype(np.float16)
            arrays["scorer_mean"] = self.scorer.mean
            arrays["scorer_scale"] = self.scorer.scale
            arrays["scorer_coef"] = self.scorer.coef
            arrays["scorer_intercept"] = np.array([self.scorer.intercept], dtype=np.float32)
        with open(directory / "weights.npz", "wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        self.manifest["weights_sha256"] = _sha256(directory / "weights.npz")
        text = json.dumps(self.manifest, ensure_ascii=False, indent=2, sort_keys=True)
        (directory / "manifest.json").write_text(text + "\n", encoding="utf-8")
        self.path = directory


class ModelError(Exception):
    """A model directory that cannot be used, or data that cannot be trained on."""


def load_model(directory: Path) -> Model:
    """Load a model directory written by ``Model.save``; check it is whole."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"{directory} is not a Kefu language model: {error}") from None
    if manifest.get("format") not in FORMATS:
        raise ModelError(f"{directory}: unsupported model format {manifest.get('format')!r}")
    tokens.warm_up()
    weights = directory / "weights.npz"
    if not weights.exists() or _sha256(weights) != manifest.get("weights_sha256"):
        raise ModelError(f"{directory}: weights are missing or do not match the manifest")
    settings = _settings(manifest["settings"])
    with np.load(weights, allow_pickle=False) as arrays:
        words = _vectorizer("words", settings, arrays["word_vocabulary"], arrays["word_idf"])
        chars = _vectorizer("chars", settings, arrays["char_vocabulary"], arrays["char_idf"])
        temperatures = manifest["temperatures"]
        intent = Head(
            manifest["labels"],
            arrays["intent_coef"],
            arrays["intent_intercept"],
            temperatures["intent"],
        )
        sentiment = None
        if "sentiment_coef" in arrays:
            sentiment = Head(
                list(SENTIMENTS),
                arrays["sentiment_coef"],
                arrays["sentiment_intercept"],
                temperatures["sentiment"],
            )
        bank, scorer = None, None
        if "scorer_coef" in arrays:
            outside = arrays.get("bank_outside")
            bank = Bank(
                arrays["bank_vectors"].astype(np.float32),
                arrays["bank_labels"],
                None if outside is None else outside.astype(np.float32),
            )
            scorer = Scorer(
                arrays["scorer_mean"],
                arrays["scorer_scale"],
                arrays["scorer_coef"],
                float(arrays["scorer_intercept"][0]),
            )
    encoders.load(settings.encoders)
    language.warm_up()  # langid's model takes a second to load: in the background
    return Model(
        manifest, words, chars, intent, sentiment, directory, settings, bank=bank, scorer=scorer
    )


def train(
    examples: Sequence[Example],
    *,
    validation: Sequence[Example] = (),
    sentiment_examples: Sequence[Example] = (),
    settings: Settings | None = None,
    progress: Progress | None = None,
    description: str = "",
) -> Model:
    """Train a model. Without ``validation`` a stratified part of ``examples`` is held out to
    calibrate the confidences and choose the out-of-scope threshold, and the final model is
    then fitted on everything. Deterministic: the same examples give the same model."""
    settings = settings or Settings()
    say = progress or (lambda _: None)
    started = time.monotonic()
    examples = [example for example in examples if example.text.strip()]
    labels = sorted({example.label for example in examples})
    if len([label for label in labels if label != OUT_OF_SCOPE]) < 2:
        raise ModelError("training needs examples of at least two intents")
    if validation:
        fit_part, held_out = list(examples), list(validation)
    else:
        fit_part, held_out = _split(examples, settings.holdout)
    say(f"{len(examples)} examples, {len(labels)} labels; embedding")
    texts = [example.text for example in examples]
    held_texts = [example.text for example in held_out]
    embeddings = encoders.embed(settings.encoders, texts + held_texts)
    vectors = dict(zip(texts + held_texts, embeddings, strict=False))
    say(f"embedded in {time.monotonic() - started:.1f}s; calibrating on {len(held_out)} held out")

    # 1. Fit on the fitting part; calibrate, fit the out-of-scope scorer and choose the
    #    threshold on the held-out part.
    draft = _fit(fit_part, labels, settings, vectors)
    temperature, threshold, scorer = 1.0, 0.0, None  # too few examples to hold any out
    if held_out:
        embedded = np.vstack([vectors[e.text] for e in held_out])
        logits = draft.logits(_features(draft, held_out, vectors))
        truth = np.array([labels.index(e.label) if e.label in labels else -1 for e in held_out])
        known = truth >= 0
        temperature = _temperature(logits[known], truth[known])
        draft.intent.temperature = temperature
        outside = np.array([e.label == OUT_OF_SCOPE for e in held_out])
        if outside.sum() >= SCORER_MIN_OOS and (~outside).sum() >= SCORER_MIN_OOS:
            scorer = _fit_scorer(signals(draft, logits, embedded), ~outside)
            draft.scorer = scorer
            say(f"out-of-scope scorer fitted on {int(outside.sum())} out-of-scope messages")
        # The scores as a new message gets them (the out-of-scope class winning included).
        scores = draft.in_scope_scores(logits, embedded)
        threshold = _threshold(
            scores,
            _softmax(logits / temperature),
            truth,
            labels,
            settings.oos_accuracy_cost,
            0.0,  # the out-of-scope class winning (a score below 0) always rejects
            logistic=scorer is not None,
        )
    say(f"temperature {temperature:.2f}, out-of-scope threshold {threshold:.3f}")

    # 2. The final model on every example (the held-out part too, unless it was a separate
    #    validation set), with the calibration found above.
    final = draft if validation else _fit(examples, labels, settings, vectors)
    final.intent.temperature = temperature
    final.scorer = scorer
    if scorer is None:
        final.bank = None
    sentiment_data = [e for e in [*examples, *sentiment_examples] if e.sentiment in SENTIMENTS]
    if len({e.sentiment for e in sentiment_data}) == len(SENTIMENTS):
        say(f"sentiment on {len(sentiment_data)} examples")
        extra = [e.text for e in sentiment_data if e.text not in vectors]
        vectors.update(zip(extra, encoders.embed(settings.encoders, extra), strict=False))
        final.sentiment = _fit_head(
            _features(final, sentiment_data, vectors),
            [e.sentiment for e in sentiment_data],
            list(SENTIMENTS),
            settings,
        )
    final.manifest = {
        "format": FORMAT,
        "version": version_of(examples, settings),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "description": description,
        "labels": labels,
        "settings": _settings_dict(settings),
        "oos_threshold": round(threshold, 6),
        "oos_scorer": scorer is not None,
        "temperatures": {"intent": round(temperature, 4), "sentiment": 1.0},
        "examples": len(examples),
        "held_out": len(held_out),
        "data_sha256": fingerprint(examples),
        "training_seconds": round(time.monotonic() - started, 1),
        "seed": SEED,
    }
    say(f"trained in {final.manifest['training_seconds']}s")
    return final


def fingerprint(examples: Sequence[Example]) -> str:
    """A hash of the training data: the same data gives the same model version."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.text}\t{example.label}\t{example.sentiment}\n".encode())
    return digest.hexdigest()


def version_of(examples: Sequence[Example], settings: Settings) -> str:
    """The version a model trained on ``examples`` with ``settings`` gets (known beforehand)."""
    examples = [example for example in examples if example.text.strip()]
    digest = hashlib.sha256(fingerprint(examples).encode())
    digest.update(json.dumps(_settings_dict(settings), sort_keys=True).encode())
    # The features depend on the code's format and the segmentation dictionary too.
    digest.update(f"{FORMAT}".encode() + tokens.TERMS_FILE.read_bytes())
    return digest.hexdigest()[:12]


def _fit(
    examples: Sequence[Example],
    labels: list[str],
    settings: Settings,
    vectors: dict[str, np.ndarray],
) -> Model:
    texts = [example.text for example in examples]
    words = _new_vectorizer("words", settings)
    chars = _new_vectorizer("chars", settings)
    words.fit(texts)
    chars.fit([tokens.normalise(text) for text in texts])
    model = Model({}, words, chars, Head(labels, np.zeros(0), np.zeros(0)), None, None, settings)
    features = _features(model, examples, vectors)
    model.intent = _fit_head(features, [example.label for example in examples], labels, settings)
    inside = [example for example in examples if example.label != OUT_OF_SCOPE]
    if inside:
        bank = np.vstack([vectors[example.text] for example in inside]).astype(np.float32)
        outside = [vectors[e.text] for e in examples if e.label == OUT_OF_SCOPE]
        model.bank = Bank(
            bank,
            np.array([labels.index(example.label) for example in inside], dtype=np.int32),
            np.vstack(outside).astype(np.float32) if outside else bank[:0],
        )
    return model


def signals(model: Model, logits: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """What the out-of-scope scorer weighs, one row per message: the best intent's calibrated
    confidence, the out-of-scope class's, the margin to the second intent, the entropy, the
    best intent's raw logit, the out-of-scope logit, and the similarities to the in-scope and
    out-of-scope neighbours (``Bank.similarities``)."""
    probabilities = _softmax(logits / model.intent.temperature)
    in_scope = np.array([i for i, label in enumerate(model.labels) if label != OUT_OF_SCOPE])
    oos = model.labels.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in model.labels else -1
    ranked = np.sort(probabilities[:, in_scope], axis=1)
    second = ranked[:, -2] if ranked.shape[1] > 1 else np.zeros(len(ranked))
    predicted = in_scope[np.argmax(probabilities[:, in_scope], axis=1)]
    zeros = np.zeros(len(logits))
    if model.bank is None:
        raise ModelError("the out-of-scope scorer needs the model's neighbour bank")
    return np.column_stack(
        [
            ranked[:, -1],
            probabilities[:, oos] if oos >= 0 else zeros,
            ranked[:, -1] - second,
            -(probabilities * np.log(probabilities + 1e-12)).sum(axis=1),
            logits[:, in_scope].max(axis=1),
            logits[:, oos] if oos >= 0 else zeros,
            model.bank.similarities(embeddings, predicted),
        ]
    ).astype(np.float32)


def _fit_scorer(values: np.ndarray, inside: np.ndarray) -> Scorer:
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale = np.where(scale > 1e-6, scale, 1.0)
    classifier = LogisticRegression(C=SCORER_C, max_iter=2000, random_state=SEED)
    classifier.fit((values - mean) / scale, inside.astype(int))
    return Scorer(
        mean.astype(np.float32),
        scale.astype(np.float32),
        classifier.coef_[0].astype(np.float32),
        float(classifier.intercept_[0]),
    )


def _fit_head(
    features: sparse.csr_matrix, targets: list[str], labels: list[str], settings: Settings
) -> Head:
    classifier = LogisticRegression(C=settings.c, max_iter=settings.max_iter, random_state=SEED)
    classifier.fit(features, targets)
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    intercept = np.asarray(classifier.intercept_, dtype=np.float32)
    if len(classifier.classes_) == 2:
        # Two classes: one weight vector for the second; a softmax over (0, w·x + b) is the
        # same probability.
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    order = [list(classifier.classes_).index(label) for label in labels]
    return Head(labels, coef[order], intercept[order])


def _features(
    model: Model, examples: Sequence[Example], vectors: dict[str, np.ndarray]
) -> sparse.csr_matrix:
    texts = [example.text for example in examples]
    width = sum(encoders.DIMENSIONS[name] for name in model.settings.encoders)
    rows = [vectors[text] for text in texts]
    return model.features_from(texts, np.vstack(rows) if rows else np.zeros((0, width)))


def _split(examples: Sequence[Example], share: float) -> tuple[list[Example], list[Example]]:
    """Hold out ``share`` of each label's examples, chosen by a hash of the text (stable)."""
    keep: list[Example] = []
    held: list[Example] = []
    by_label: dict[str, list[Example]] = {}
    for example in examples:
        by_label.setdefault(example.label, []).append(example)
    for group in by_label.values():
        ordered = sorted(group, key=lambda e: hashlib.sha256(e.text.encode()).hexdigest())
        cut = round(len(ordered) * share) if len(ordered) >= 5 else 0
        held += ordered[:cut]
        keep += ordered[cut:]
    return keep, held


def _temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the held-out negative log-likelihood."""
    if len(truth) == 0:
        return 1.0

    def loss(temperature: float) -> float:
        probabilities = _softmax(logits / temperature)
        return float(-np.mean(np.log(probabilities[np.arange(len(truth)), truth] + 1e-12)))

    result = minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded")
    return float(result.x)


def _threshold(
    scores: np.ndarray,
    probabilities: np.ndarray,
    truth: np.ndarray,
    labels: list[str],
    cost: float,
    lowest: float,
    logistic: bool = False,
) -> float:
    """The score below which a message is out of scope, chosen on held-out messages: the best
    out-of-scope recall that costs at most ``cost`` of the in-scope accuracy at ``lowest`` (a
    message counts as right when its best intent is right and its score is not below the
    threshold), at the least cost that reaches it; then halfway down to the highest score of
    an out-of-scope message it catches (in log-odds when the scores are ``logistic``
    chances), so that it keeps a margin on both sides and the held-out results stay the same.
    Without out-of-scope messages to measure the recall on, the highest threshold within the
    cost (the higher, the more caught)."""
    oos = labels.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in labels else -2
    in_scope = [i for i, label in enumerate(labels) if label != OUT_OF_SCOPE]
    best = np.array(in_scope)[np.argmax(probabilities[:, in_scope], axis=1)]
    rows = (truth != oos) & (truth != -1)
    if not rows.any():
        return lowest
    right = (best == truth)[rows]
    score = scores[rows]
    outside = scores[truth == oos]
    floor = float(np.mean(right & (score >= lowest))) - cost
    chosen, caught = lowest, -1.0
    for threshold in np.unique(score[score >= lowest]):
        if np.mean(right & (score >= threshold)) < floor:
            break
        recall = float(np.mean(outside < threshold)) if len(outside) else 0.0
        if recall > caught or not len(outside):
            chosen, caught = float(threshold), recall
    below = outside[(outside >= lowest) & (outside < chosen)]
    if not len(below):
        return chosen
    pair = np.array([below.max(), chosen])
    if not logistic:
        return float(pair.mean())
    return float(expit(logit(np.clip(pair, 1e-6, 1 - 1e-6)).mean()))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exponent = np.exp(shifted)
    result: np.ndarray = exponent / exponent.sum(axis=1, keepdims=True)
    return result


def _new_vectorizer(kind: str, settings: Settings) -> TfidfVectorizer:
    if kind == "words":
        return TfidfVectorizer(
            analyzer=_word_ngrams(settings.word_ngrams), sublinear_tf=True, dtype=np.float32
        )
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=settings.char_ngrams,
        sublinear_tf=True,
        min_df=2,
        dtype=np.float32,
    )


def _vectorizer(
    kind: str, settings: Settings, vocabulary: np.ndarray, idf: np.ndarray
) -> TfidfVectorizer:
    base = _new_vectorizer(kind, settings)
    vectorizer = TfidfVectorizer(
        analyzer=base.analyzer,
        ngram_range=base.ngram_range,
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary={str(term): i for i, term in enumerate(vocabulary)},
    )
    vectorizer.idf_ = idf.astype(np.float64)
    return vectorizer


def _word_ngrams(n: int) -> Callable[[str], list[str]]:
    def analyse(text: str) -> list[str]:
        words = tokens.words(text)
        grams = list(words)
        for size in range(2, n + 1):
            grams += [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
        return grams

    return analyse


def _vocabulary(vectorizer: TfidfVectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return terms


def _settings_dict(settings: Settings) -> dict[str, Any]:
    return {
        "encoders": list(settings.encoders),
        "embedding_weight": settings.embedding_weight,
        "c": settings.c,
        "word_ngrams": settings.word_ngrams,
        "char_ngrams": list(settings.char_ngrams),
        "holdout": settings.holdout,
        "max_iter": settings.max_iter,
        "oos_accuracy_cost": settings.oos_accuracy_cost,
    }


def _settings(data: dict[str, Any]) -> Settings:
    return Settings(
        encoders=tuple(data["encoders"]),
        embedding_weight=float(data["embedding_weight"]),
        c=float(data["c"]),
        word_ngrams=int(data["word_ngrams"]),
        char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
        holdout=float(data["holdout"]),
        max_iter=int(data["max_iter"]),
        oos_accuracy_cost=float(data["oos_accuracy_cost"]),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
