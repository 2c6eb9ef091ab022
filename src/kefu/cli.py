"""The ``kefu`` command: run the embedded server, load demo data, manage, work the queue.

    kefu run [--host H] [--port P]   migrate, load the demo on an empty database, serve
    kefu demo                        load the demo data (idempotent)
    kefu worker                      work background tasks (scale-out deployments)
    kefu nlu train|evaluate|predict  language models (see kefu.nlu.cli)
    kefu kb search|load              knowledge base (see kefu.knowledge.cli)
    kefu exchange load|openapi|check the exchange back office (see kefu.exchange.cli)
    kefu risk ingest|load-list|screen risk events and address screening (see kefu.risk.cli)
    kefu channels smtp-server|poll   the channels customers write on (see kefu.intake.cli)
    kefu manage ARGS...              Django management commands

``--data-dir`` (or ``KEFU_DATA_DIR``, default ``./kefu-data``) holds all embedded state.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefu", description="Kefu (客服) customer support.")
    parser.add_argument(
        "--data-dir",
        help="directory for the embedded database, uploads and "
        "models (default: $KEFU_DATA_DIR or ./kefu-data)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run Kefu (migrate, demo data on first start, serve)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (each is a full ASGI server; needs PostgreSQL + Redis "
        "for more than one)",
    )
    run.add_argument("--no-demo", action="store_true", help="do not load demo data")
    run.add_argument(
        "--no-worker", action="store_true", help="do not work background tasks in this process"
    )
    commands.add_parser("demo", help="load the demo data into the data directory")
    commands.add_parser("worker", help="work background tasks until stopped")
    from kefu.nlu.cli import add_commands as add_nlu_commands

    add_nlu_commands(commands)
    from kefu.knowledge.cli import add_commands as add_kb_commands

    add_kb_commands(commands)
    from kefu.exchange.cli import add_commands as add_exchange_commands

    add_exchange_commands(commands)
    from kefu.risk.cli import add_commands as add_risk_commands

    add_risk_commands(commands)
    from kefu.intake.cli import add_commands as add_channel_commands

    add_channel_commands(commands)
    manage = commands.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.data_dir:
        os.environ["KEFU_DATA_DIR"] = str(Path(arguments.data_dir).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    public = arguments.command == "run" and arguments.host not in LOOPBACK_HOSTS
    if public and "KEFU_ALLOWED_HOSTS" not in os.environ:
        # Reachable from other machines under names we cannot know: accept any Host header
        # (websockets still need Origin == Host) until the operator names the site.
        os.environ["KEFU_ALLOWED_HOSTS"] = "*"
        print("Serving on all addresses; set KEFU_ALLOWED_HOSTS to your domain name(s).")
    if arguments.command == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["kefu manage", *arguments.arguments])
        return 0
    import django

    django.setup()
    if arguments.command == "demo":
        _migrate()
        _load_demo(always_print=True)
        _ensure_language_model()
        return 0
    if arguments.command == "worker":
        _migrate()
        _work_forever()
        return 0
    if arguments.command == "nlu":
        from kefu.nlu.cli import run as run_nlu

        _migrate()
        return run_nlu(arguments)
    if arguments.command == "exchange":
        from kefu.exchange.cli import run as run_exchange

        _migrate()
        return run_exchange(arguments)
    if arguments.command == "risk":
        from kefu.risk.cli import run as run_risk

        _migrate()
        return run_risk(arguments)
    if arguments.command == "channels":
        from kefu.intake.cli import run as run_channels

        _migrate()
        return run_channels(arguments)
    if arguments.command == "kb":
        from kefu.knowledge.cli import run as run_kb

        _migrate()
        return run_kb(arguments)
    return _run(
        arguments.host,
        arguments.port,
        demo=not arguments.no_demo,
        worker=not arguments.no_worker,
        workers=arguments.workers,
    )


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _load_demo(*, always_print: bool) -> None:
    from kefu.accounts.models import Role
    from kefu.demo import load_demo
    from kefu.demo_staff import DEMO_PASSWORD

    result = load_demo()
    if result.created:
        print("Loaded the demo exchange (NovaEx) with staff, customers and conversations.")
    elif always_print:
        print("The database already has staff accounts; demo data left as it was.")
    if result.created or always_print:
        print(f"\nDemo staff sign-in (password for all: {DEMO_PASSWORD}):")
        for person in result.staff:
            secret = person.totp_secret or "(enrols an authenticator at first sign-in)"
            print(f"  {person.username:<10} {Role(person.role).label:<14} TOTP secret: {secret}")
        print(
            "Add a secret to any authenticator app, or print the current code with:\n"
            f"  {sys.executable} -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"\n"
        )


def _ensure_language_model() -> None:
    """Train and make live Kefu's default language model when none is live (first start)."""
    from django.conf import settings

    from kefu.nlu import services
    from kefu.nlu.models import LanguageModel, ModelStatus

    if not settings.NLU_ENABLED:
        return
    if not LanguageModel.objects.filter(status=ModelStatus.LIVE).exists():
        print("Training the default language model from Kefu's own messages (first start)...")
        started = time.monotonic()
        model = services.ensure_default_model(lambda text: print(f"  {text}", flush=True))
        print(f"Language model {model.version} is live ({time.monotonic() - started:.0f}s).")


def _start_analysis_worker() -> subprocess.Popen[bytes] | None:
    """Analyse customer messages in a child process at low CPU priority (``kefu nlu work``):
    its work never holds up this process's event loop, and chat relay gets the CPU first."""
    from django.conf import settings

    if not settings.NLU_ENABLED:
        return None
    child = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "nlu", "work"],
        env={**os.environ, "KEFU_PARENT_PID": str(os.getpid())},
        stdout=subprocess.PIPE,
    )
    atexit.register(_stop_child, child)
    threading.Thread(target=_relay, args=(child,), name="kefu-nlu-relay", daemon=True).start()
    return child


def _relay(child: subprocess.Popen[bytes]) -> None:
    """Send the child's live updates (one JSON line each) to this process's consoles."""
    from kefu.lib import live

    for raw in child.stdout or ():
        line = raw.decode("utf-8", "replace")
        event = live.event_from_line(line)
        if event is None:
            sys.stdout.write(line)
            continue
        try:
            live.send_now([event])
        except Exception:
            logger.exception("live update of the analysis worker not sent")


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def _start_embedded_worker() -> threading.Thread | None:
    """Work the database task queue in a background thread of this process."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return None
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="embedded",
        excluded_queue_names=[],
    )

    thread = threading.Thread(target=worker.run, name="kefu-worker", daemon=True)
    thread.start()
    return thread


def _start_routing_sweep() -> None:
    """Serve the queues, warn before SLA breaches and escalate after them; send replies out on
    their channels and read mailboxes and bots: two background threads."""
    from kefu.intake.schedule import start_sweeper as start_channel_sweeper
    from kefu.routing.schedule import start_sweeper

    start_sweeper()
    start_channel_sweeper()


def _work_forever() -> None:
    from django.conf import settings
    from django.core.management import call_command

    backend = settings.TASKS["default"]["BACKEND"]
    _ensure_language_model()
    if settings.NLU_ENABLED:
        from kefu.nlu import services

        services.start_analysis_worker()
    _start_routing_sweep()
    if backend == "django_tasks_rq.RQBackend":
        call_command("rqworker", "default", job_class="django_tasks_rq.Job")
    elif backend == "django_tasks_db.DatabaseBackend":
        call_command("db_worker", queue_name="*")
    else:
        print(f"Tasks run inline with {backend}; there is no queue to work.")


def _run(host: str, port: int, *, demo: bool, worker: bool, workers: int = 1) -> int:
    import uvicorn
    from django.conf import settings

    _migrate()
    if demo:
        _load_demo(always_print=False)
    _ensure_language_model()
    if worker:
        _start_embedded_worker()
        _start_analysis_worker()
        _start_routing_sweep()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - display only
    print(f"Kefu is running with data in {settings.DATA_DIR}")
    print(f"  help center and chat widget: http://{shown}:{port}/")
    print(f"  agent console:               http://{shown}:{port}/console/")
    print(f"  API (OpenAPI schema):        http://{shown}:{port}/api/v1/docs")
    sys.stdout.flush()
    if workers > 1 and not (settings.DATABASE_URL and settings.REDIS_URL):
        print("--workers needs DATABASE_URL and REDIS_URL: processes share nothing else.")
        return 2
    uvicorn.run(
        "kefu.asgi:application",
        host=host,
        port=port,
        workers=workers,
        lifespan="off",
        log_level="warning",
        ws_max_size=65536,
        # Chat frames are small; compressing each one costs more CPU than it saves.
        ws_per_message_deflate=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
