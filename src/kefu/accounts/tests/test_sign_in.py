from __future__ import annotations

import pyotp
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import PASSWORD, console_client, make_staff
from kefu.accounts.models import AuditLogEntry, Role, Team, User

pytestmark = pytest.mark.django_db


def sign_in_password(client: Client, username: str, password: str = PASSWORD) -> str:
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response["Location"] if response.status_code == 302 else ""


def test_password_then_code_opens_the_console(agent: User) -> None:
    client = Client()
    assert sign_in_password(client, "agent") == reverse("accounts:verify")
    # Between the two steps the console is still closed.
    assert client.get(reverse("conversations:inbox")).status_code == 302
    code = pyotp.TOTP(agent.totp_secret).now()
    response = client.post(reverse("accounts:verify"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("conversations:inbox")
    assert client.get(reverse("conversations:inbox")).status_code == 200
    assert AuditLogEntry.objects.filter(actor=agent, action="staff.signed_in").count() == 1


def test_a_code_works_only_once(agent: User) -> None:
    code = pyotp.TOTP(agent.totp_secret).now()
    first, second = Client(), Client()
    sign_in_password(first, "agent")
    sign_in_password(second, "agent")
    assert first.post(reverse("accounts:verify"), {"code": code}).status_code == 302
    replay = second.post(reverse("accounts:verify"), {"code": code})
    assert replay.status_code == 200
    assert "not valid" in replay.content.decode()
    assert second.get(reverse("conversations:inbox")).status_code == 302
    assert AuditLogEntry.objects.filter(actor=agent, action="staff.2fa_failed").count() == 1


def test_wrong_password_or_code_keeps_the_console_closed(agent: User) -> None:
    client = Client()
    assert sign_in_password(client, "agent", "wrong password") == ""
    assert client.get(reverse("accounts:verify")).status_code == 302
    sign_in_password(client, "agent")
    response = client.post(reverse("accounts:verify"), {"code": "000000"})
    assert response.status_code == 200
    assert client.get(reverse("conversations:inbox")).status_code == 302


def test_a_new_agent_enrols_an_authenticator_with_a_qr_code(teams: dict[str, Team]) -> None:
    make_staff("newbie", teams=teams, enrolled=False)
    client = Client()
    assert sign_in_password(client, "newbie") == reverse("accounts:enrol")
    page = client.get(reverse("accounts:enrol"))
    html = page.content.decode()
    assert "<svg" in html
    secret = client.session["kefu_pending_totp_secret"]
    assert secret in html
    assert client.post(reverse("accounts:enrol"), {"code": "123456"}).status_code == 200
    assert not User.objects.get(username="newbie").has_two_factor
    response = client.post(reverse("accounts:enrol"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.totp_secret == secret and newbie.has_two_factor
    assert client.get(reverse("conversations:inbox")).status_code == 200


def test_a_password_session_alone_cannot_use_the_console_or_admin(agent: User) -> None:
    client = Client()
    client.force_login(agent)  # signed in, but no second factor in this session
    for url in (reverse("conversations:inbox"), "/admin/", reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_htmx_requests_without_two_factor_are_told_to_redirect(agent: User) -> None:
    response = Client().get(reverse("conversations:inbox"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:login")


def test_next_must_stay_on_this_site(agent: User) -> None:
    client = Client()
    client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "agent", "password": PASSWORD, "next": "https://evil.example/"},
    )
    response = client.post(
        reverse("accounts:verify"), {"code": pyotp.TOTP(agent.totp_secret).now()}
    )
    assert response["Location"] == reverse("conversations:inbox")


@override_settings(RATE_LIMITS={"login": "3/m", "lookup": "100/m"})
def test_password_guessing_is_rate_limited(agent: User) -> None:
    client = Client()
    for _ in range(3):
        sign_in_password(client, "agent", "guess")
    response = client.post(reverse("accounts:login"), {"username": "agent", "password": PASSWORD})
    assert response.status_code == 429


def test_sign_out_ends_the_session(agent: User) -> None:
    client = console_client(agent)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("conversations:inbox")).status_code == 302
    assert AuditLogEntry.objects.filter(actor=agent, action="staff.signed_out").exists()


def test_api_tokens_are_shown_once_and_can_be_revoked(agent: User) -> None:
    client = console_client(agent)
    page = client.post(reverse("accounts:profile"), {"name": "CRM sync"}).content.decode()
    token = agent.api_tokens.get()
    assert token.name == "CRM sync"
    assert token.prefix in page and "kefu_" in page
    assert token.token_hash not in page
    assert "kefu_" not in client.get(reverse("accounts:profile")).content.decode().replace(
        token.prefix, ""
    )
    client.post(reverse("accounts:revoke_token", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_administrator_resets_a_lost_authenticator(agent: User, teams: dict[str, Team]) -> None:
    admin = make_staff("boss", role=Role.ADMIN, teams=teams)
    response = console_client(admin).post(
        "/admin/accounts/user/",
        {"action": "reset_authenticator", "_selected_action": [agent.pk]},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.has_two_factor and agent.totp_secret == ""
    assert AuditLogEntry.objects.filter(actor=admin, action="staff.2fa_reset").count() == 1
    assert sign_in_password(Client(), "agent") == reverse("accounts:enrol")
