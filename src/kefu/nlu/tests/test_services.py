"""Messages are understood when they arrive; agents correct them; models go live and back."""

from __future__ import annotations

import threading
import time

import pytest

from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation, Customer, Message, TimelineKind
from kefu.lib.errors import NotFound
from kefu.nlu import data
from kefu.nlu import services as nlu
from kefu.nlu.errors import ModelNotReady, UnknownIntent
from kefu.nlu.model import Model, Settings, train
from kefu.nlu.models import LabelledExample, LanguageModel, ModelStatus


def start(customer: Customer, body: str) -> Conversation:
    """A new conversation whose first message the analysis worker has seen."""
    conversation = conversations.start_conversation(
        customer=customer, channel=Channel.WIDGET, queue="general", body=body
    ).conversation
    nlu.analyse_pending()
    return conversation


def test_the_worker_analyses_waiting_messages_in_batches(
    customer: Customer, live_model: Model
) -> None:
    conversation = conversations.start_conversation(
        customer=customer, channel=Channel.WIDGET, queue="general", body="hi"
    ).conversation
    for number in range(4):
        conversations.post_customer_message(conversation.pk, body=f"my deposit {number} is late")
    assert nlu.analyse_pending(limit=3) == 3
    assert nlu.analyse_pending(limit=3) == 2
    assert nlu.analyse_pending(limit=3) == 0
    assert not conversation.messages.filter(analysis__isnull=True).exists()


def test_customer_messages_are_understood_on_arrival(customer: Customer, live_model: Model) -> None:
    conversation = start(customer, "我的USDT充币三个小时了还没到账，急！！！")
    message = conversation.messages.get()
    assert message.analysis is not None
    assert message.analysis["language"] == "zh"
    assert message.analysis["intent"] == "deposit.not_credited"
    assert message.analysis["model"] == live_model.version
    assert message.analysis["signals"] == ["exclamations"]
    assert message.intent == "deposit.not_credited"
    conversation.refresh_from_db()
    assert conversation.intent == "deposit.not_credited"
    assert conversation.timeline.filter(kind=TimelineKind.INTENT_SET).count() == 1


def test_later_messages_keep_the_conversation_intent(
    customer: Customer, agent: User, live_model: Model
) -> None:
    conversation = start(customer, "I lost my phone with Google Authenticator, please reset my 2FA")
    conversations.post_customer_message(conversation.pk, body="also what are your trading fees?")
    assert nlu.analyse_pending() == 1
    conversation.refresh_from_db()
    assert conversation.intent == "security.2fa_reset"
    latest = conversation.messages.order_by("-pk").first()
    assert latest is not None and latest.intent == "trade.fees"
    conversations.post_agent_message(agent, conversation.pk, body="Hello, I can help")
    assert nlu.analyse_pending() == 0
    reply = conversation.messages.order_by("-pk").first()
    assert reply is not None and reply.analysis is None


def test_repeat_contacts_are_flagged(customer: Customer, live_model: Model) -> None:
    start(customer, "my withdrawal is pending")
    second = start(customer, "my withdrawal is STILL pending")
    message = second.messages.get()
    assert message.analysis is not None
    assert "repeated_contact" in message.analysis["signals"]


def test_without_a_live_model_language_and_urgency_are_still_stored(customer: Customer) -> None:
    nlu.forget_live_model()
    conversation = start(customer, "someone hacked my account")
    message = conversation.messages.get()
    assert message.analysis is not None
    assert message.analysis["model"] == ""
    assert message.analysis["urgency"] == "high"


def test_correction_becomes_a_training_example(
    customer: Customer, agent: User, live_model: Model
) -> None:
    conversation = start(customer, "the thing with my money from yesterday")
    message = conversation.messages.get()
    example = nlu.correct_intent(agent, message, "withdrawal.pending")
    message.refresh_from_db()
    conversation.refresh_from_db()
    assert message.intent == "withdrawal.pending"
    assert conversation.intent == "withdrawal.pending"
    assert example.label == "withdrawal.pending"
    assert example.previous_label == (message.analysis or {})["intent"]
    assert example.created_by == agent
    assert AuditLogEntry.objects.filter(action="message.intent_corrected", actor=agent).exists()
    # Correcting again updates the same example.
    nlu.correct_intent(agent, message, "withdrawal.failed")
    assert LabelledExample.objects.get().label == "withdrawal.failed"
    # Retraining includes it (in its split).
    train_part, test_part = nlu.training_data()
    part = test_part if data.in_test_split(message.body) else train_part
    assert any(e.text == message.body and e.label == "withdrawal.failed" for e in part)


def test_corrections_are_checked(customer: Customer, agent: User, live_model: Model) -> None:
    conversation = start(customer, "hi")
    message = conversation.messages.get()
    with pytest.raises(UnknownIntent):
        nlu.correct_intent(agent, message, "not.an.intent")
    reply = conversations.post_agent_message(agent, conversation.pk, body="hello").message
    with pytest.raises(UnknownIntent):
        nlu.correct_intent(agent, reply, "chat.greeting")


@pytest.fixture(scope="module")
def weak_model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    """A model that knows only a few examples of each intent: clearly worse."""
    seen: dict[str, int] = {}
    few = []
    for example in data.split(data.kefu_examples())[0]:
        if seen.get(example.label, 0) < 3:
            seen[example.label] = seen.get(example.label, 0) + 1
            few.append(example)
    model = train(few, settings=Settings(encoders=(), max_iter=100))
    model.save(tmp_path_factory.mktemp("weak") / "model")
    return model


def test_a_worse_model_cannot_go_live_unless_forced(live_model: Model, weak_model: Model) -> None:
    registered = nlu.register_model(weak_model)
    assert (
        registered.evaluation["macro_f1"]
        < LanguageModel.objects.get(status="live").evaluation["macro_f1"]
    )
    with pytest.raises(ModelNotReady, match="worse"):
        nlu.activate_model(registered.version)
    nlu.activate_model(registered.version, force=True)
    assert nlu.live_model() is not None
    assert nlu.live_model().version == weak_model.version  # type: ignore[union-attr]
    back = nlu.rollback_model()
    assert back.version == live_model.version
    assert LanguageModel.objects.get(version=weak_model.version).status == ModelStatus.RETIRED
    nlu.forget_live_model()
    assert nlu.live_model().version == live_model.version  # type: ignore[union-attr]
    assert AuditLogEntry.objects.filter(action="nlu.model_activated").count() == 3


def test_models_with_foreign_labels_cannot_go_live(
    db: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from kefu.nlu.model import Example

    examples = [Example(f"play song {i}", "play_music") for i in range(6)] + [
        Example(f"weather in city {i}", "weather") for i in range(6)
    ]
    model = train(examples, settings=Settings(encoders=(), max_iter=50))
    model.save(tmp_path_factory.mktemp("foreign") / "model")
    registered = nlu.register_model(model)
    assert registered.evaluation == {}
    with pytest.raises(ModelNotReady):
        nlu.activate_model(registered.version, force=True)
    with pytest.raises(NotFound):
        nlu.activate_model("nope")


def test_rollback_needs_an_earlier_model(live_model: Model) -> None:
    with pytest.raises(ModelNotReady):
        nlu.rollback_model()


def test_the_live_model_is_unpacked_from_the_database(
    live_model: Model, settings: object, tmp_path: object
) -> None:
    settings.NLU_MODELS_DIR = tmp_path  # type: ignore[attr-defined]
    nlu.forget_live_model()
    loaded = nlu.live_model()
    assert loaded is not None
    assert loaded.version == live_model.version
    assert (tmp_path / live_model.version / "weights.npz").exists()  # type: ignore[operator]
    assert Message.objects.count() == 0


def test_activation_compares_on_todays_test_split(
    live_model: Model, weak_model: Model, customer: Customer, agent: User
) -> None:
    registered = nlu.register_model(weak_model)
    before = LanguageModel.objects.get(status="live").evaluation
    # An agent's correction that falls in the fixed test split makes that split larger.
    text = next(
        f"the thing with my funds, case {i}"
        for i in range(1000)
        if data.in_test_split(f"the thing with my funds, case {i}")
    )
    nlu.correct_intent(agent, start(customer, text).messages.get(), "withdrawal.pending")
    with pytest.raises(ModelNotReady, match="worse"):
        nlu.activate_model(registered.version)
    after = LanguageModel.objects.get(status="live").evaluation
    assert after["test_sha256"] != before["test_sha256"]
    assert after["n"] == before["n"] + 1
    assert LanguageModel.objects.get(version=registered.version).evaluation["n"] == after["n"]


@pytest.mark.django_db(transaction=True)
def test_the_analysis_worker_thread(customer: Customer, live_model: Model) -> None:
    """The background worker of ``kefu run`` / ``kefu worker`` finds and analyses messages."""
    stop = nlu.start_analysis_worker()
    try:
        conversation = conversations.start_conversation(
            customer=customer, channel=Channel.WIDGET, queue="general", body="提币一直在审核中"
        ).conversation
        message = conversation.messages.get()
        deadline = time.monotonic() + 20
        while message.analysis is None and time.monotonic() < deadline:
            stop.wait(0.05)
            message.refresh_from_db()
        assert message.analysis is not None
        assert message.analysis["intent"] == "withdrawal.pending"
    finally:
        stop.set()
        # The worker may still be routing what it analysed: let it finish before the test
        # database is emptied (its queries and the truncation would deadlock).
        for thread in threading.enumerate():
            if thread.name == "kefu-nlu":
                thread.join(timeout=30)


def test_one_call_analyses_a_text(live_model: Model) -> None:
    result = nlu.analyse("someone stole 2 BTC from my account!!!", previous_contacts=1)
    assert result.intent == "security.unauthorized_access"
    assert result.language == "en"
    assert result.urgency == "high"
    assert {"stolen", "money_at_risk", "exclamations", "repeated_contact"} <= set(result.signals)
    assert result.amount is not None and result.amount.currency == "BTC"
