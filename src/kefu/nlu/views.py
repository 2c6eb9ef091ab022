"""Console pages of the language model: an agent corrects a message's intent."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kefu.accounts.access import request_staff_user
from kefu.conversations.access import access_message
from kefu.conversations.views import stream_context
from kefu.lib.errors import KefuError
from kefu.lib.htmx import is_fragment_request
from kefu.nlu import services


@require_POST
def correct_intent(request: HttpRequest, message_id: int) -> HttpResponse:
    """Set a customer message's intent; it becomes a training example."""
    user = request_staff_user(request)
    message = access_message(user, message_id)
    try:
        services.correct_intent(user, message, request.POST.get("intent", ""))
    except KefuError as error:
        if not is_fragment_request(request):
            messages.error(request, str(error.message))
            return redirect("conversations:detail", conversation_id=message.conversation_id)
        return HttpResponse(str(error.message), status=error.status)
    if not is_fragment_request(request):
        return redirect("conversations:detail", conversation_id=message.conversation_id)
    return render(request, "conversations/_stream.html", stream_context(message.conversation))
