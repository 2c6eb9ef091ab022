"""``kefu nlu ...``: train, evaluate and try language models; manage which one is live.

    kefu nlu train [--data FILE] [--validation FILE] [--out DIR] [--no-register]
    kefu nlu evaluate [--data FILE] [--model DIR] [--json]
    kefu nlu predict "TEXT" [--model DIR] [--json]
    kefu nlu models | activate VERSION [--force] | rollback
    kefu nlu work [--nice N]      the analysis worker (``kefu run`` starts one)

Without ``--data``, training uses Kefu's own messages and the agents' corrections (train split)
and evaluation uses the fixed test split. Without ``--model``, the live model is used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kefu.nlu.model import ModelError


def add_commands(commands: Any) -> None:
    nlu = commands.add_parser("nlu", help="train, evaluate and try language models")
    actions = nlu.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train a model (progress is shown)")
    train.add_argument("--data", type=Path, help="CSV or TSV with text,label columns")
    train.add_argument("--validation", type=Path, help="held-out CSV/TSV for calibration")
    train.add_argument("--out", type=Path, help="model directory (default: models dir/version)")
    train.add_argument(
        "--encoders",
        default="use",
        help="sentence encoders, comma-separated: use (fast, the default) and/or e5 (a little "
        "more accurate, about ten times slower per message; see docs/nlu.md)",
    )
    train.add_argument(
        "--no-register", action="store_true", help="do not add the model to the registry"
    )
    evaluate = actions.add_parser("evaluate", help="measure a model on labelled messages")
    evaluate.add_argument("--data", type=Path, help="CSV or TSV (default: the fixed test split)")
    evaluate.add_argument("--model", type=Path, help="model directory (default: the live model)")
    evaluate.add_argument("--json", action="store_true", help="one JSON object as last line")
    predict = actions.add_parser("predict", help="analyse one message")
    predict.add_argument("text")
    predict.add_argument("--model", type=Path, help="model directory (default: the live model)")
    predict.add_argument("--json", action="store_true")
    work = actions.add_parser(
        "work", help="analyse waiting customer messages until stopped (kefu run starts one)"
    )
    work.add_argument(
        "--nice", type=int, default=10, help="lower CPU priority, so chat relay comes first"
    )
    actions.add_parser("models", help="list the registered models")
    activate = actions.add_parser("activate", help="make a registered model live")
    activate.add_argument("version")
    activate.add_argument("--force", action="store_true", help="even if it scores lower")
    actions.add_parser("rollback", help="make the previous live model live again")


def run(arguments: argparse.Namespace) -> int:
    try:
        return int(_COMMANDS[arguments.action](arguments))
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _train(arguments: argparse.Namespace) -> int:
    from kefu.nlu import data, services
    from kefu.nlu.encoders import DIMENSIONS
    from kefu.nlu.model import Settings, load_model, train

    names = tuple(name.strip() for name in arguments.encoders.split(",") if name.strip())
    unknown = sorted(set(names) - set(DIMENSIONS))
    if unknown:
        raise ModelError(f"unknown encoder(s) {', '.join(unknown)}; choose from use, e5")
    settings = Settings(encoders=names)
    if arguments.data is None:
        model = services.train_default_model(_progress, out=arguments.out, settings=settings)
    else:
        examples = data.read_examples(arguments.data)
        validation = data.read_examples(arguments.validation) if arguments.validation else []
        model = train(
            examples,
            validation=validation,
            sentiment_examples=data.kefu_examples(),
            settings=settings,
            progress=_progress,
            description=arguments.data.name,
        )
        from django.conf import settings as django_settings

        out = arguments.out or django_settings.NLU_MODELS_DIR / model.version
        if (out / "manifest.json").exists():
            model = load_model(out)
        else:
            services.save_atomically(model, out)
    print(f"model {model.version} in {model.path}")
    if not arguments.no_register:
        registered = services.register_model(model)
        report = registered.evaluation
        if report:
            print(
                f"registered; on the fixed test split: accuracy {report['accuracy']:.3f}, "
                f"macro-F1 {report['macro_f1']:.3f}"
            )
            _compare_with_live(registered)
        else:
            print("registered (its labels are not the taxonomy's: it cannot be made live)")
    return 0


def _compare_with_live(registered: Any) -> None:
    from kefu.nlu.models import LanguageModel, ModelStatus
    from kefu.nlu.services import refresh_evaluation, training_data

    live = LanguageModel.objects.filter(status=ModelStatus.LIVE).first()
    if live is None or live.pk == registered.pk:
        print(f"make it live with: kefu nlu activate {registered.version}")
        return
    test = training_data()[1]
    live, registered = refresh_evaluation(live, test), refresh_evaluation(registered, test)
    new, old = registered.evaluation["macro_f1"], live.evaluation.get("macro_f1", 0)
    verdict = "better than" if new > old else "the same as" if new == old else "WORSE than"
    print(f"it is {verdict} the live model {live.version} (macro-F1 {new:.3f} vs {old:.3f})")
    if new >= old:
        print(f"make it live with: kefu nlu activate {registered.version}")


def _model(path: Path | None) -> Any:
    from kefu.nlu import services
    from kefu.nlu.model import load_model

    if path is not None:
        return load_model(path)
    model = services.live_model()
    if model is None:
        raise ModelError("no model is live yet: run `kefu nlu train` or `kefu demo`")
    return model


def _evaluate(arguments: argparse.Namespace) -> int:
    from kefu.nlu import data, evaluation, services

    model = _model(arguments.model)
    if arguments.data is not None:
        examples = data.read_examples(arguments.data)
    else:
        examples = services.training_data()[1]
    if not examples:
        raise ModelError("no examples to evaluate on")
    report = evaluation.evaluate(model, examples)
    print(f"model {model.version}: {report.n} messages in {report.seconds}s")
    print(f"  accuracy           {report.accuracy:.4f}")
    print(f"  in-scope accuracy  {report.in_scope_accuracy:.4f}")
    print(f"  macro-F1           {report.macro_f1:.4f}")
    if report.oos_recall is not None:
        print(f"  out-of-scope recall    {report.oos_recall:.4f}")
    if report.oos_precision is not None:
        print(f"  out-of-scope precision {report.oos_precision:.4f}")
    print(f"  calibration error  {report.calibration_error:.4f}")
    for code, figures in report.by_language.items():
        print(f"  [{code}] n={figures['n']} accuracy {figures['accuracy']:.4f}")
    if report.confused:
        print("  most confused (label -> predicted: count):")
        for pair in report.confused:
            print(f"    {pair['label']} -> {pair['predicted']}: {pair['count']}")
    if report.unknown_labels:
        print(f"  labels the model does not know: {', '.join(report.unknown_labels[:10])}")
    if arguments.json:
        print(json.dumps({"model": model.version, **report.as_dict()}, ensure_ascii=False))
    return 0


def _predict(arguments: argparse.Namespace) -> int:
    from kefu.nlu.analysis import analyse_texts

    model = _model(arguments.model)
    analyse_texts(model, ["预热 warm up"])  # segmentation dictionary loaded: time the message
    started = time.perf_counter()
    result = analyse_texts(model, [arguments.text])[0]
    elapsed = (time.perf_counter() - started) * 1000
    if arguments.json:
        print(json.dumps({**result.as_dict(), "ms": round(elapsed, 2)}, ensure_ascii=False))
        return 0
    language = result.language + (" (mixed with English)" if result.mixed else "")
    print(f"language   {language}  {result.language_confidence:.2f}")
    print(f"intent     {result.intent}  {result.confidence:.2f}")
    for ranked in result.top:
        print(f"           {ranked.label:32} {ranked.confidence:.3f}")
    print(f"sentiment  {result.sentiment}  {result.sentiment_score:+.2f}")
    print(f"urgency    {result.urgency}  {', '.join(result.signals) or '-'}")
    if result.amount:
        print(f"amount     {result.amount.value} {result.amount.currency}")
    print(f"model      {result.model}  ({elapsed:.1f} ms)")
    return 0


def _work(arguments: argparse.Namespace) -> int:
    """Analyse messages until SIGTERM, SIGINT or the death of the process that started us."""
    import os
    import signal
    import threading

    from django.conf import settings

    from kefu.lib import live
    from kefu.nlu import services

    if arguments.nice:
        os.nice(arguments.nice)
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer"):
        # Embedded: the parent (kefu run) relays our live updates to its consoles.
        def to_parent(events: list[Any]) -> None:
            for event in events:
                sys.stdout.write(live.event_line(event) + "\n")
            sys.stdout.flush()

        live.send_through(to_parent)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # ``kefu run`` names itself, so a worker whose parent died while it started (and was
    # adopted by init) stops instead of working on alone.
    named = os.environ.get("KEFU_PARENT_PID", "")
    parent = int(named) if named.isdigit() else os.getppid()
    services.prepare_worker()
    services.work_on_analyses(stop, parent=parent if parent != 1 else None)
    return 0


def _models(arguments: argparse.Namespace) -> int:
    from kefu.nlu.models import LanguageModel

    rows = LanguageModel.objects.order_by("-created_at")
    if not rows:
        print("no models registered yet")
    for row in rows:
        report = row.evaluation or {}
        figures = (
            f"accuracy {report['accuracy']:.3f} macro-F1 {report['macro_f1']:.3f}"
            if report
            else "not evaluated"
        )
        print(
            f"{row.version}  {row.status:8} {row.created_at:%Y-%m-%d %H:%M}  {figures}  "
            f"{row.description}"
        )
    return 0


def _activate(arguments: argparse.Namespace) -> int:
    from kefu.lib.errors import KefuError, NotFound
    from kefu.nlu import services

    try:
        model = services.activate_model(arguments.version, force=arguments.force)
    except NotFound:
        print(f"error: no model {arguments.version}", file=sys.stderr)
        return 2
    except KefuError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    print(f"model {model.version} is live")
    return 0


def _rollback(arguments: argparse.Namespace) -> int:
    from kefu.lib.errors import KefuError
    from kefu.nlu import services

    try:
        model = services.rollback_model()
    except KefuError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    print(f"model {model.version} is live again")
    return 0


_COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "work": _work,
    "models": _models,
    "activate": _activate,
    "rollback": _rollback,
}
