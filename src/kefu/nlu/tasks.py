"""Background work of the language model: load by id, call a service. Safe to run twice."""

from __future__ import annotations

from django_tasks import task

from kefu.nlu import services


@task()
def analyse_messages(message_ids: list[int]) -> int:
    """Understand newly arrived customer messages (one task per stored batch)."""
    return services.analyse_messages(message_ids)
