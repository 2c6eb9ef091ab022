"""Canned responses: saved replies agents insert and edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.conversations.models import CannedResponse, Conversation

if TYPE_CHECKING:
    from kefu.conversations.forms import CannedResponseForm


def canned_responses_for(conversation: Conversation) -> list[CannedResponse]:
    """Canned responses for the conversation's team and language first, then the rest."""
    responses = list(CannedResponse.objects.all())
    responses.sort(
        key=lambda r: (
            r.queue not in ("", conversation.queue),
            r.language != conversation.language,
            r.title,
        )
    )
    return [r for r in responses if r.queue in ("", conversation.queue)]


def save_canned_response(
    actor: User, form: CannedResponseForm, *, ip_address: str | None = None
) -> CannedResponse:
    """Create or update a canned response from a valid form."""
    is_new = form.instance.pk is None
    with transaction.atomic():
        response = form.save()
        record_audit(
            actor,
            "canned_response.created" if is_new else "canned_response.updated",
            target_type="canned_response",
            target_id=response.pk,
            after={"title": response.title},
            ip_address=ip_address,
        )
    return response


def delete_canned_response(actor: User, response_id: int, *, ip_address: str | None = None) -> bool:
    """Delete a canned response; False when there was none."""
    with transaction.atomic():
        deleted, _rows = CannedResponse.objects.filter(pk=response_id).delete()
        if deleted:
            record_audit(
                actor,
                "canned_response.deleted",
                target_type="canned_response",
                target_id=response_id,
                ip_address=ip_address,
            )
    return bool(deleted)
