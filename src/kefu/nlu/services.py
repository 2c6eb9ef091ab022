"""The language models of this installation: training the default, the registry (one live
model, switch and roll back), analysing customer messages, and learning from corrections."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.conversations.models import AuthorType, Message
from kefu.conversations.services import understanding
from kefu.lib.errors import NotFound
from kefu.lib.taxonomy import intents
from kefu.nlu import data, evaluation
from kefu.nlu.analysis import Analysis, analyse_texts
from kefu.nlu.errors import ModelNotReady, UnknownIntent
from kefu.nlu.model import (
    OUT_OF_SCOPE,
    Example,
    Model,
    ModelError,
    Progress,
    Settings,
    fingerprint,
    load_model,
    train,
    version_of,
)
from kefu.nlu.models import ExampleSource, LabelledExample, LanguageModel, ModelStatus

logger = logging.getLogger(__name__)

LIVE_CACHE_KEY = "nlu.live-version"
# Messages analysed together (the embeddings are much cheaper per message in a batch), and how
# long the analysis worker rests when none wait.
ANALYSIS_BATCH = 128
ANALYSIS_IDLE_SECONDS = 0.1
# How often a process looks whether another one switched the live model.
LIVE_CHECK_SECONDS = 5.0


# --- training data -----------------------------------------------------------------------------


def corrections() -> list[Example]:
    """Agents' corrections and imported examples, newest last."""
    rows = LabelledExample.objects.order_by("created_at", "pk")
    return [Example(row.text, row.label, "", row.language) for row in rows]


def training_data() -> tuple[list[Example], list[Example]]:
    """(train, test): Kefu's own messages and the stored corrections, split by the fixed
    split, so the test part is the same for every model."""
    return data.split([*data.kefu_examples(), *corrections()])


# --- the registry ------------------------------------------------------------------------------


def register_model(
    model: Model, *, description: str = "", report: dict[str, Any] | None = None
) -> LanguageModel:
    """Store a trained, saved model in the registry with its evaluation on the fixed test
    split (``report``, when the caller has just measured it). Registering the same version
    again returns the stored one."""
    if model.path is None:
        raise ModelError("save the model before registering it")
    existing = LanguageModel.objects.filter(version=model.version).first()
    if existing is not None:
        return existing
    if report is None:
        report = {}
        if set(model.labels) <= _known_labels():
            report = _evaluate_on_test_split(model)
    weights = (model.path / "weights.npz").read_bytes()
    try:
        with transaction.atomic():
            return LanguageModel.objects.create(
                version=model.version,
                description=description or str(model.manifest.get("description", "")),
                manifest=model.manifest,
                weights=weights,
                evaluation=report,
            )
    except IntegrityError:  # another process registered it at the same moment
        return LanguageModel.objects.get(version=model.version)


def activate_model(
    version: str, *, actor: User | None = None, force: bool = False
) -> LanguageModel:
    """Make a registered model the live one. It must know only the taxonomy's intents, and
    it must not be worse than the live model on the fixed test split (macro-F1) unless
    ``force``. Every process picks it up within a few seconds."""
    if not force:
        # Compare on today's test split (agents' corrections add to it): re-measure either
        # model if it was measured on an older one.
        test = training_data()[1]
        for row in LanguageModel.objects.filter(Q(version=version) | Q(status=ModelStatus.LIVE)):
            refresh_evaluation(row, test)
    with transaction.atomic():
        candidate = LanguageModel.objects.select_for_update().filter(version=version).first()
        if candidate is None:
            raise NotFound()
        if not set(candidate.manifest.get("labels", [])) <= _known_labels():
            raise ModelNotReady(_("This model knows intents that are not in the taxonomy."))
        if not candidate.evaluation:
            raise ModelNotReady(_("This model has not been evaluated on the test split."))
        live = LanguageModel.objects.select_for_update().filter(status=ModelStatus.LIVE).first()
        if live is not None and live.pk != candidate.pk and not force:
            _check_not_worse(candidate, live)
        if live is not None and live.pk != candidate.pk:
            live.status = ModelStatus.RETIRED
            live.save(update_fields=["status"])
        candidate.status = ModelStatus.LIVE
        candidate.activated_at = timezone.now()
        candidate.activated_by = actor
        candidate.save(update_fields=["status", "activated_at", "activated_by"])
        record_audit(
            actor,
            "nlu.model_activated",
            target_type="language_model",
            target_id=candidate.version,
            before={"version": live.version if live else None},
            after={"version": candidate.version, "forced": force},
        )
        transaction.on_commit(lambda: cache.set(LIVE_CACHE_KEY, version, None))
    return candidate


def _evaluate_on_test_split(model: Model, test: list[Example] | None = None) -> dict[str, Any]:
    test = training_data()[1] if test is None else test
    return {**evaluation.evaluate(model, test).as_dict(), "test_sha256": fingerprint(test)}


def refresh_evaluation(row: LanguageModel, test: list[Example] | None = None) -> LanguageModel:
    """Measure a registered model again if the fixed test split (``test``, read when not
    given) grew since it was measured."""
    if not row.evaluation or not set(row.manifest.get("labels", [])) <= _known_labels():
        return row
    test = training_data()[1] if test is None else test
    if row.evaluation.get("test_sha256") == fingerprint(test):
        return row
    row.evaluation = _evaluate_on_test_split(_unpack(row.version), test)
    LanguageModel.objects.filter(pk=row.pk).update(evaluation=row.evaluation)
    return row


def _check_not_worse(candidate: LanguageModel, live: LanguageModel) -> None:
    new, old = candidate.evaluation["macro_f1"], live.evaluation.get("macro_f1", 0.0)
    if new < old:
        raise ModelNotReady(
            _(
                "This model is worse than the live one on the test split "
                "(macro-F1 %(new).3f < %(old).3f)."
            )
            % {"new": new, "old": old}
        )


def rollback_model(*, actor: User | None = None) -> LanguageModel:
    """Make the model that was live before the current one live again."""
    live = LanguageModel.objects.filter(status=ModelStatus.LIVE).first()
    previous = (
        LanguageModel.objects.filter(status=ModelStatus.RETIRED, activated_at__isnull=False)
        .order_by("-activated_at")
        .first()
    )
    if previous is None or live is None:
        raise ModelNotReady(_("There is no earlier live model to go back to."))
    return activate_model(previous.version, actor=actor, force=True)


def ensure_default_model(progress: Progress | None = None) -> LanguageModel:
    """Make sure a model is live; train Kefu's default one from its own data if none is.
    The default model is deterministic: the same data and settings give the same version."""
    live = LanguageModel.objects.filter(status=ModelStatus.LIVE).first()
    if live is not None:
        return live
    model = train_default_model(progress)
    registered = register_model(model, description="Kefu default")
    try:
        return activate_model(registered.version, force=True)
    except IntegrityError:  # another process made a model live at the same moment
        return LanguageModel.objects.get(status=ModelStatus.LIVE)


def train_default_model(
    progress: Progress | None = None, out: Path | None = None, settings: Settings | None = None
) -> Model:
    """Train on Kefu's own messages and the corrections (train split) into ``out`` (default:
    the models directory, by version); a model already there is loaded instead."""
    train_part, _test = training_data()
    chosen = settings or Settings()
    target = out or django_settings.NLU_MODELS_DIR / version_of(train_part, chosen)
    if (target / "manifest.json").exists():
        return load_model(target)
    model = train(train_part, settings=chosen, progress=progress, description="Kefu default")
    save_atomically(model, target)
    return model


def save_atomically(model: Model, target: Path) -> None:
    """Write to a temporary directory beside the target, then rename: a process that loads the
    model never sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".partial-"))
    try:
        model.save(scratch / "model")
        try:
            (scratch / "model").rename(target)
        except OSError:
            if not (target / "manifest.json").exists():
                raise
        model.path = target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _known_labels() -> set[str]:
    return set(intents()) | {OUT_OF_SCOPE}


# --- the live model in this process --------------------------------------------------------------


@dataclass
class _Live:
    version: str = ""
    model: Model | None = None
    checked: float = 0.0


_live = _Live()
_live_lock = threading.Lock()


def live_model() -> Model | None:
    """The live model, loaded once per process and replaced when another becomes live."""
    now = time.monotonic()
    if _live.model is not None and now - _live.checked < LIVE_CHECK_SECONDS:
        return _live.model
    with _live_lock:
        version = cache.get(LIVE_CACHE_KEY)
        if version is None:
            version = (
                LanguageModel.objects.filter(status=ModelStatus.LIVE)
                .values_list("version", flat=True)
                .first()
            )
            if version is None:
                return None
            cache.set(LIVE_CACHE_KEY, version, None)
        if version != _live.version or _live.model is None:
            _live.model = _unpack(version)
            _live.version = version
        _live.checked = now
        return _live.model


def forget_live_model() -> None:
    """Drop this process's loaded model (tests; after the registry was emptied)."""
    with _live_lock:
        _live.model, _live.version, _live.checked = None, "", 0.0
    cache.delete(LIVE_CACHE_KEY)


def _unpack(version: str) -> Model:
    target = django_settings.NLU_MODELS_DIR / version
    if not (target / "manifest.json").exists():
        row = LanguageModel.objects.get(version=version)
        models_dir = _ensure(django_settings.NLU_MODELS_DIR)
        scratch = Path(tempfile.mkdtemp(dir=models_dir, prefix=".unpack-"))
        try:
            (scratch / "manifest.json").write_text(
                json.dumps(row.manifest, ensure_ascii=False), encoding="utf-8"
            )
            with open(scratch / "weights.npz", "wb") as handle:
                shutil.copyfileobj(io.BytesIO(bytes(row.weights)), handle)
            try:
                scratch.rename(target)
            except OSError:
                if not (target / "manifest.json").exists():
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return load_model(target)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- analysing messages ------------------------------------------------------------------------


def analyse(text: str, *, previous_contacts: int = 0) -> Analysis:
    """Analyse one text with the live model (language and urgency only, without one)."""
    return analyse_texts(live_model(), [text], [previous_contacts])[0]


def analyse_pending(limit: int = ANALYSIS_BATCH) -> int:
    """Analyse the oldest customer messages that wait for it (up to ``limit``, in one batch)
    and store the results. Returns how many were stored."""
    if not django_settings.NLU_ENABLED:
        return 0

    def analyse(pending: list[understanding.Pending]) -> list[dict[str, Any]]:
        results = analyse_texts(
            live_model(), [p.body for p in pending], [p.previous_contacts for p in pending]
        )
        return [result.as_dict() for result in results]

    stored = understanding.analyse_waiting(analyse, limit=limit)
    if stored:
        # The bot answers chats as soon as their messages are understood (kefu.bot).
        from kefu.bot.services import answer_messages

        answer_messages(stored)
        # Tickets go to people once understood; chats when the bot hands them off.
        from kefu.routing.services import route_analysed

        route_analysed(stored)
    return len(stored)


def work_on_analyses(stop: threading.Event, *, parent: int | None = None) -> None:
    """The analysis worker: analyse waiting messages in batches until ``stop`` is set (or the
    ``parent`` process is gone); look again every ``ANALYSIS_IDLE_SECONDS`` when nothing
    waits. ``kefu run`` runs one in a child process at low CPU priority, ``kefu worker`` in a
    thread; the chat never waits for it."""
    while not stop.is_set() and (parent is None or os.getppid() == parent):
        try:
            done = analyse_pending()
        except Exception:
            logger.exception("analysing messages failed; trying again shortly")
            done = 0
        finally:
            close_old_connections()
        if done < ANALYSIS_BATCH:
            stop.wait(ANALYSIS_IDLE_SECONDS)


def prepare_worker() -> None:
    """Load what the first message will need (the model, the bot's knowledge-base index), so it
    does not wait for it."""
    started = time.monotonic()
    model = live_model()
    # One analysis loads the tokenisers (jieba's dictionary, langid) the model does not hold.
    analyse_texts(model, ["warm up 预热"], [0])
    if django_settings.BOT_ENABLED:
        from kefu.bot.services import warm_up

        try:
            warm_up()
        except Exception:
            logger.exception("warming up the bot failed; it will load on the first chat")
        finally:
            close_old_connections()
    logger.info("analysis worker ready in %.1f s", time.monotonic() - started)


def start_analysis_worker() -> threading.Event:
    """Start ``work_on_analyses`` in a background thread; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        prepare_worker()
        work_on_analyses(stop)

    threading.Thread(target=run, name="kefu-nlu", daemon=True).start()
    return stop


# --- learning from agents ----------------------------------------------------------------------


def correct_intent(agent: User, message: Message, intent: str) -> LabelledExample:
    """An agent says what a customer message was really about. The message and (when it took
    its intent from it) the conversation change, and the message becomes a labelled example
    for the next training. ``message`` must come from an access-checked lookup."""
    if intent not in _known_labels():
        raise UnknownIntent(_("Unknown intent."))
    if message.author_type != AuthorType.CUSTOMER:
        raise UnknownIntent(_("Only customer messages have an intent."))
    previous = message.intent
    with transaction.atomic():
        understanding.correct_message_intent(agent, message, intent)
        example, _created = LabelledExample.objects.update_or_create(
            message=message,
            defaults={
                "text": message.body,
                "label": intent,
                "language": message.language,
                "source": ExampleSource.CORRECTION,
                "previous_label": previous,
                "created_by": agent,
                "created_at": timezone.now(),
            },
        )
    return example
