"""``kefu channels poll``: every polling account once, with what it fetched."""

from __future__ import annotations

import argparse

import pytest

from kefu.intake.channels.email.tests import mails
from kefu.intake.channels.email.tests.conftest import ImapServer, account_config
from kefu.intake.cli import add_commands, run
from kefu.intake.models import ChannelAccount

pytestmark = pytest.mark.django_db


def kefu(*words: str) -> int:
    parser = argparse.ArgumentParser(prog="kefu")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(list(words)))


def test_poll_prints_what_each_account_fetched_and_fails_for_a_broken_one(
    imap_server: ImapServer, mailbox_account: ChannelAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    ChannelAccount.objects.create(
        kind="email", name="Old mailbox", config=account_config(imap_server, None, imap_port=1)
    )
    imap_server.append(mails.plain("Hello"))

    assert kefu("channels", "poll") == 1

    output = capsys.readouterr().out.splitlines()
    assert output[0] == "Email: Support: 1 new"
    assert output[1].startswith("Email: Old mailbox: failed: MailboxError: cannot reach the IMAP")


def test_poll_succeeds_when_every_account_could_be_read(
    imap_server: ImapServer, mailbox_account: ChannelAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kefu("channels", "poll") == 0

    assert capsys.readouterr().out == "Email: Support: 0 new\n"
