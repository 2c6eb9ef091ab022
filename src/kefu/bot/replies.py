"""Everything the bot says, translated (``locale/zh_Hans``), with the exchange's facts filled in.

Every function is called inside ``translation.override`` of the customer's language. Amounts are
written as the exchange keeps them (``500``, ``0.0412``), never in exponent form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kefu.exchange.adapter import (
    AccountLock,
    Deposit,
    LockReason,
    Profile,
    Withdrawal,
    plain_decimal,
)
from kefu.knowledge.content import plain_text


def amount(value: Decimal) -> str:
    """``Decimal('5E+2')`` → ``500``; ``0.04120`` → ``0.0412``."""
    return f"{plain_decimal(value):f}"


def when(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def minutes_text(minutes: float) -> str:
    minutes = max(1, round(minutes))
    if minutes < 90:
        return _("about %(n)d minutes") % {"n": minutes}
    return _("about %(n)d hours") % {"n": round(minutes / 60)}


def never_share() -> str:
    return _("We will never ask for your password, 2FA code, seed phrase or private key.")


# --- conversation -------------------------------------------------------------------------------


def greeting(brand: str) -> str:
    return _(
        "Hi! I'm the %(brand)s assistant. I can check your deposits and withdrawals, explain "
        "why an account is locked, and answer questions about your account, trading and fees. "
        "What can I help you with?"
    ) % {"brand": brand}


def welcome_back() -> str:
    return _("You're welcome! If anything else comes up, just write here.")


def glad() -> str:
    return _("Glad that helped! If anything else comes up, just write here.")


def did_that_help() -> str:
    return _("Did this solve your problem? (yes / no)")


def article_answer(title: str, summary: str, steps: list[str], url: str) -> str:
    lines = [_("Here is what I found: %(title)s") % {"title": title}]
    if summary:
        lines.append(plain_text(summary))
    for number, step in enumerate(steps[:6], start=1):
        lines.append(f"{number}. {plain_text(step)}")
    lines.append(_("Read more: %(url)s") % {"url": url})
    lines.append(did_that_help())
    return "\n".join(lines)


def another_try() -> str:
    return _("Sorry that did not help. Let me try once more.")


def clarify(options: list[str]) -> str:
    lines = [_("I want to be sure I understand. Is your question about:")]
    lines += [f"{number}. {name}" for number, name in enumerate(options, start=1)]
    lines.append(_("Reply with a number, or tell me a little more."))
    return "\n".join(lines)


def sign_in_for_lookups() -> str:
    return _(
        "If you sign in to your account and open the chat from there, I can look up your "
        "own deposits, withdrawals and account status."
    )


def out_of_scope() -> str:
    return _(
        "I can only help with your account and our services: deposits, withdrawals, security, "
        "verification, trading and fees. I can't give investment advice or price predictions."
    )


# --- hand-off -----------------------------------------------------------------------------------


def handoff(reason: str) -> str:
    if reason == "human":
        first = _("Of course. I'm passing you to a support agent now.")
    elif reason == "angry":
        first = _("I'm sorry about this. I'm passing you to a support agent right away.")
    elif reason == "failed_answers":
        first = _("I'm sorry I couldn't solve this. I'm passing you to a support agent.")
    elif reason == "recovery":
        first = _("I've opened a recovery request and passed it to our deposits team.")
    elif reason == "lookup_failed":
        first = _("I couldn't finish this lookup, so I'm passing you to a support agent.")
    else:
        first = _("This needs a member of our team, so I'm passing you to a support agent.")
    return " ".join(
        [
            first,
            _(
                "They can see this conversation, so you won't need to repeat yourself. "
                "You can keep writing here."
            ),
            never_share(),
        ]
    )


def security_first_steps() -> str:
    return "\n".join(
        [
            _(
                "This is urgent and I'm passing you to our security team right now. Please act at once:"
            ),
            _(
                "1. Freeze your account: Account → Security → Disable account (or the link in any of our emails)."
            ),
            _(
                "2. Change your password and your email password, and remove unknown devices and API keys."
            ),
            _(
                "3. Do not send anyone your password, 2FA code, seed phrase or private key, and ignore anyone who asks."
            ),
        ]
    )


# --- deposits -----------------------------------------------------------------------------------


def ask_deposit_details() -> str:
    return " ".join(
        [
            _(
                "I can check that for you. Please send the coin, the network you sent it on, and "
                "the transaction ID (txid). If you don't have the txid, send the amount instead."
            ),
            never_share(),
        ]
    )


def ask_withdrawal_details() -> str:
    return _(
        "I can check that for you. Which withdrawal is it? Send its txid or withdrawal ID "
        '(such as W-200001), or the coin and amount. Or say "the latest one".'
    )


def bad_txid(token: str) -> str:
    return _(
        '"%(token)s" doesn\'t look like a transaction ID. A txid is 64 letters and digits '
        "(starting with 0x on ERC20, BEP20 and Arbitrum), or 87-88 characters on Solana. Copy it "
        "from the withdrawal history of the wallet or platform you sent from."
    ) % {"token": token[:24] + ("…" if len(token) > 24 else "")}


def unknown_coin(symbol: str) -> str:
    return _(
        "We don't support %(coin)s, so I can't look it up. Tokens we don't list cannot be "
        "credited automatically."
    ) % {"coin": symbol}


def deposit_not_found(what: str) -> str:
    return _(
        "I can't find a deposit with %(what)s on your account. Please check that you sent it to "
        "your own deposit address on the same network, and that the transaction is confirmed on "
        'the sending side. If everything is right, reply "yes" and I\'ll pass it to our deposits '
        "team."
    ) % {"what": what}


def deposit_state(deposit: Deposit, minutes_per_confirmation: float) -> str:
    facts = {
        "amount": amount(deposit.amount),
        "coin": deposit.coin,
        "network": deposit.network,
        "done": deposit.confirmations,
        "needed": deposit.required_confirmations,
        "time": when(deposit.created_at),
        "txid": deposit.txid[:14] + "…",
    }
    if deposit.status == "confirming":
        left = max(0, deposit.required_confirmations - deposit.confirmations)
        facts["eta"] = minutes_text(left * minutes_per_confirmation)
        return (
            _(
                "Your deposit of %(amount)s %(coin)s on %(network)s (txid %(txid)s) is on its way: "
                "%(done)d/%(needed)d confirmations. %(network)s needs %(needed)d confirmations; it "
                "should be credited in %(eta)s. It is credited automatically, you don't need to do "
                "anything."
            )
            % facts
        )
    if deposit.status == "credited":
        return (
            _(
                "Your deposit of %(amount)s %(coin)s on %(network)s (txid %(txid)s) was credited to "
                "your spot account after %(done)d confirmations; it was received on %(time)s. You "
                "can see it in Assets → History."
            )
            % facts
        )
    if deposit.status == "under_review":
        return (
            _(
                "Your deposit of %(amount)s %(coin)s on %(network)s is confirmed on chain and is in a "
                "routine compliance review before it is credited. Most reviews finish within a few "
                "hours; you don't need to do anything, and you will be notified when it is credited."
            )
            % facts
        )
    if deposit.status == "wrong_network":
        return (
            _(
                "Your deposit of %(amount)s %(coin)s arrived on %(network)s, a network this address "
                "does not support, so it could not be credited automatically. It can usually be "
                "recovered: recovery takes 7-14 days and costs 50 USDT."
            )
            % facts
        )
    if deposit.status == "missing_memo":
        return (
            _(
                "Your deposit of %(amount)s %(coin)s on %(network)s arrived without the memo (tag) "
                "your account needs, so we could not tell whose it was. It can be recovered: recovery "
                "takes 3-5 business days and costs 20 USDT equivalent."
            )
            % facts
        )
    return (
        _(
            "Your deposit of %(amount)s %(coin)s on %(network)s is a token we don't list, so it could "
            "not be credited automatically. Recovery is sometimes possible: it takes 14-30 days and "
            "costs 50 USDT."
        )
        % facts
    )


# --- withdrawals --------------------------------------------------------------------------------


def _withdrawal_reason(reason: str) -> str:
    texts = {
        "insufficient_balance": _("the balance was not enough for the amount plus the fee"),
        "address_invalid": _("the address is not valid on that network"),
        "network_maintenance": _("the network was under maintenance"),
        "memo_missing": _("the memo (tag) the receiving address needs was missing"),
        "by_customer": _("you cancelled it"),
        "security_timeout": _("it was not confirmed by email and 2FA in time"),
        "risk_review": _("our risk team is reviewing it"),
        "new_address_24h": _("new withdrawal addresses wait 24 hours for your safety"),
        "large_amount_review": _("large withdrawals are reviewed by hand"),
        "support_hold": _("our support team put it on hold"),
    }
    return str(texts.get(reason, reason or _("no reason was given")))


def withdrawal_not_found(what: str) -> str:
    return _(
        "I can't find a withdrawal matching %(what)s on your account. Please check the ID or "
        "txid in Assets → History → Withdrawals and send it again."
    ) % {"what": what}


def withdrawal_state(withdrawal: Withdrawal) -> str:
    facts = {
        "amount": amount(withdrawal.amount),
        "coin": withdrawal.coin,
        "network": withdrawal.network,
        "id": withdrawal.id,
        "time": when(withdrawal.created_at),
        "txid": withdrawal.txid,
        "done": withdrawal.confirmations,
        "needed": withdrawal.required_confirmations,
        "fee": amount(withdrawal.fee),
        "reason": _withdrawal_reason(withdrawal.reason),
    }
    status = withdrawal.status
    if status == "pending_review":
        return (
            _(
                "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s (requested %(time)s) is "
                "in a routine security review. Most reviews finish within an hour; you'll get an "
                "email when it is sent. You don't need to do anything."
            )
            % facts
        )
    if status == "processing":
        return (
            _(
                "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s passed review and is "
                "being sent; it will be broadcast to the network within minutes."
            )
            % facts
        )
    if status == "broadcast":
        return (
            _(
                "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s has been sent: txid "
                "%(txid)s, %(done)d/%(needed)d confirmations so far. The receiving platform credits "
                "it once the network confirms it."
            )
            % facts
        )
    if status == "completed":
        return (
            _(
                "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s is complete on our side: "
                "txid %(txid)s. If it hasn't arrived, give this txid to the receiving platform and "
                "check that you chose the same network there."
            )
            % facts
        )
    if status == "failed":
        return (
            _(
                "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s failed because "
                "%(reason)s. The amount and the fee (%(fee)s %(coin)s) are back in your spot account, "
                "and you can withdraw again."
            )
            % facts
        )
    if status == "cancelled":
        return (
            _(
                "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s was cancelled because "
                "%(reason)s. The funds are back in your spot account."
            )
            % facts
        )
    return (
        _(
            "Your withdrawal %(id)s of %(amount)s %(coin)s on %(network)s is on hold: %(reason)s. "
            "A specialist has to review it."
        )
        % facts
    )


# --- accounts -----------------------------------------------------------------------------------


def lock_state(lock: AccountLock | None) -> str:
    if lock is None:
        return _(
            "Your account is not locked. If you can't sign in, reset your password from the sign-in "
            "page (Forgot password); if your 2FA is the problem, I can explain the 2FA reset."
        )
    if lock.reason == LockReason.PASSWORD_ATTEMPTS:
        return _(
            "Your sign-in was locked after too many wrong password attempts. It unlocks by itself "
            "at %(until)s, or at once if you reset your password (Forgot password on the sign-in "
            "page)."
        ) % {"until": when(lock.until) if lock.until else "-"}
    if lock.reason == LockReason.SELF_FROZEN:
        return _(
            "You froze your account yourself on %(since)s. To unfreeze it, sign in and follow "
            "Account → Security → Unfreeze; you'll verify your identity with a selfie. Withdrawals "
            "stay paused for 24 hours after unfreezing."
        ) % {"since": when(lock.since)}
    if lock.reason == LockReason.TWO_FACTOR_RESET:
        return _(
            "Withdrawals are paused for 24 hours after your 2FA reset, to protect you. They "
            "resume automatically at %(until)s."
        ) % {"until": when(lock.until) if lock.until else "-"}
    return _("Your account is restricted while our team reviews it.")


def kyc_state(profile: Profile) -> str:
    if profile.kyc_status == "approved":
        return _("Your identity verification is approved: you are verified to level %(level)d.") % {
            "level": profile.kyc_level
        }
    if profile.kyc_status == "pending":
        submitted = when(profile.kyc_submitted_at) if profile.kyc_submitted_at else "-"
        return _(
            "Your verification (submitted %(time)s) is being reviewed. Most reviews finish within "
            "24 hours, some take up to 3 business days; you'll get an email with the result."
        ) % {"time": submitted}
    if profile.kyc_status == "rejected":
        reasons = {
            "document_blurry": _("the photo of your document was blurry or cut off"),
            "document_expired": _("the document had expired"),
            "name_mismatch": _("the name on the document did not match your account"),
            "selfie_mismatch": _("the selfie did not match the document photo"),
            "unsupported_country": _("we cannot verify residents of your country yet"),
        }
        reason = str(reasons.get(profile.kyc_reason, profile.kyc_reason))
        return _(
            "Your verification was not approved because %(reason)s. You can submit again from "
            "Account → Verification: use a valid original document, all four corners visible, "
            "in good light."
        ) % {"reason": reason}
    return _(
        "You haven't started identity verification yet. Go to Account → Verification; level 1 "
        "takes a few minutes with your ID and a selfie."
    )
