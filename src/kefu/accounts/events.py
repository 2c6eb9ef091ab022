"""Audit-log rows. Each staff action is recorded in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from kefu.accounts.models import AuditLogEntry, User


def record_audit(
    actor: User | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """Write one audit row: who did ``action`` to which object, and what changed."""
    entry = audit_entry(
        actor,
        action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        ip_address=ip_address,
    )
    entry.save()
    return entry


def audit_entry(
    actor: User | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """An unsaved audit row, for writers that insert many at once (``bulk_create``)."""
    return AuditLogEntry(
        actor=actor,
        actor_label=actor.username if actor else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before or {},
        after=after or {},
        ip_address=ip_address or None,
    )
