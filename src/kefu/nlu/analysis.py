"""One call that says what a customer message is: language, intent, sentiment, urgency.

``analyse_texts`` takes a batch (the embeddings are much cheaper per message in a batch) and
returns one ``Analysis`` per text, for any input: empty text, 100 KB, emoji, binary junk, a
language Kefu has no model for. It never raises for the text's sake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kefu.nlu import language as languages
from kefu.nlu import urgency
from kefu.nlu.model import OUT_OF_SCOPE, Model, Prediction, Ranked
from kefu.nlu.urgency import Amount

MAX_ANALYSED_CHARS = 2000


@dataclass(frozen=True)
class Analysis:
    language: str
    language_confidence: float
    mixed: bool
    intent: str
    confidence: float
    top: tuple[Ranked, ...]
    out_of_scope: bool
    sentiment: str
    sentiment_score: float
    urgency: str
    signals: tuple[str, ...]
    amount: Amount | None
    model: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON stored on the message."""
        return {
            "language": self.language,
            "language_confidence": self.language_confidence,
            "mixed": self.mixed,
            "intent": self.intent,
            "confidence": self.confidence,
            "top": [{"intent": r.label, "confidence": r.confidence} for r in self.top],
            "out_of_scope": self.out_of_scope,
            "sentiment": self.sentiment,
            "sentiment_score": self.sentiment_score,
            "urgency": self.urgency,
            "signals": list(self.signals),
            "amount": (
                {"value": str(self.amount.value), "currency": self.amount.currency}
                if self.amount
                else None
            ),
            "model": self.model,
        }


def analyse_texts(
    model: Model | None, texts: Sequence[str], previous_contacts: Sequence[int] = ()
) -> list[Analysis]:
    """Analyse a batch. Without a model only language and urgency are known."""
    clipped = [(text or "")[:MAX_ANALYSED_CHARS] for text in texts]
    wordy = [i for i, text in enumerate(clipped) if text.strip()]
    predictions: dict[int, Prediction] = {}
    if model is not None and wordy:
        found = model.predict([clipped[i] for i in wordy])
        predictions = dict(zip(wordy, found, strict=True))
    results = []
    for index, text in enumerate(clipped):
        contacts = previous_contacts[index] if index < len(previous_contacts) else 0
        results.append(_analysis(text, predictions.get(index), model, contacts))
    return results


def _analysis(
    text: str, prediction: Prediction | None, model: Model | None, contacts: int
) -> Analysis:
    found = languages.detect_language(text)
    if prediction is None:
        prediction = Prediction(OUT_OF_SCOPE, 0.0, (), True, "neutral", 0.0)
    urgent = urgency.assess(
        text,
        intent=prediction.intent,
        previous_contacts=contacts,
        sentiment=prediction.sentiment,
    )
    return Analysis(
        language=found.code,
        language_confidence=found.confidence,
        mixed=found.mixed,
        intent=prediction.intent,
        confidence=prediction.confidence,
        top=prediction.top,
        out_of_scope=prediction.out_of_scope,
        sentiment=prediction.sentiment,
        sentiment_score=prediction.sentiment_score,
        urgency=urgent.level,
        signals=urgent.signals,
        amount=urgent.amount,
        model=model.version if model else "",
    )
