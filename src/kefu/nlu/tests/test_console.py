"""Agents see what a message was understood as, and correct it, in the console and the API."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from conftest import console_client
from kefu.accounts import services as accounts
from kefu.accounts.models import User
from kefu.conversations.models import Conversation
from kefu.nlu import services as nlu
from kefu.nlu.model import Model
from kefu.nlu.models import LabelledExample


def analysed(conversation: Conversation) -> Conversation:
    """What the analysis worker does with the fixture's waiting message."""
    assert nlu.analyse_pending() == 1
    return conversation


def test_conversation_shows_the_analysis(
    live_model: Model, agent_client: Client, conversation: Conversation
) -> None:
    analysed(conversation)
    page = agent_client.get(reverse("conversations:detail", args=[conversation.pk]))
    html = page.content.decode()
    assert 'data-intent="deposit.not_credited"' in html
    assert "Deposit not credited" in html
    assert "Correct the intent" in html


def test_analysis_is_shown_in_chinese(
    live_model: Model, agent_client: Client, conversation: Conversation
) -> None:
    analysed(conversation)
    page = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = page.content.decode()
    assert "充值未到账" in html
    assert "纠正意图" in html


def test_agent_corrects_an_intent(
    live_model: Model, agent_client: Client, conversation: Conversation
) -> None:
    message = analysed(conversation).messages.get()
    url = reverse("nlu:correct_intent", args=[message.pk])
    response = agent_client.post(
        url, {"intent": "deposit.wrong_network_or_memo"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-intent="deposit.wrong_network_or_memo"' in response.content.decode()
    assert LabelledExample.objects.get().label == "deposit.wrong_network_or_memo"
    refused = agent_client.post(url, {"intent": "bogus"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400


def test_outsiders_cannot_correct(
    live_model: Model, outsider: User, conversation: Conversation
) -> None:
    message = conversation.messages.get()
    response = console_client(outsider).post(
        reverse("nlu:correct_intent", args=[message.pk]), {"intent": "chat.greeting"}
    )
    assert response.status_code == 404
    assert not LabelledExample.objects.exists()


def test_staff_api_returns_the_analysis(
    live_model: Model, agent: User, conversation: Conversation
) -> None:
    analysed(conversation)
    _token, plain = accounts.create_api_token(agent, "tests")
    body = (
        Client()
        .get(
            f"/api/v1/staff/conversations/{conversation.pk}",
            headers={"Authorization": f"Bearer {plain}"},
        )
        .json()
    )
    [message] = body["messages"]
    assert message["intent"] == "deposit.not_credited"
    assert message["analysis"]["language"] == "en"
    assert message["analysis"]["model"] == live_model.version
    assert len(message["analysis"]["top"]) == 3
