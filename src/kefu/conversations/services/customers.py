"""Customers as support knows them: found by exchange id, widget visitor or email."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.conversations.models import Customer
from kefu.lib.errors import PermissionDenied


def identify_customer(
    *,
    external_id: str | None = None,
    visitor_id: str | None = None,
    email: str = "",
    name: str = "",
    language: str = "en",
) -> Customer:
    """Find or create the customer: by exchange user id, else by widget visitor, else by email.

    Emails are stored lower-cased, so matching them is an exact, indexed lookup.
    """
    email = email.strip().lower()
    defaults = {"name": name[:120], "email": email, "language": language}
    if external_id:
        return _get_or_create_customer({"external_id": external_id}, defaults)
    if visitor_id:
        return _get_or_create_customer({"visitor_id": visitor_id}, defaults)
    if email:
        existing = Customer.objects.filter(email=email).order_by("pk").first()
        if existing is not None:
            return existing
    return Customer.objects.create(**defaults)


def update_customer_profile(
    customer: Customer,
    *,
    vip_tier: int | None = None,
    security_level: str | None = None,
    name: str | None = None,
    language: str | None = None,
) -> Customer:
    """Update what support knows of a customer (from the exchange or an agent)."""
    fields = {
        "vip_tier": vip_tier,
        "security_level": security_level,
        "name": name,
        "language": language,
    }
    changed = [name for name, value in fields.items() if value is not None]
    for name in changed:
        setattr(customer, name, fields[name])
    if changed:
        customer.full_clean(validate_unique=False, validate_constraints=False)
        customer.save(update_fields=changed)
    return customer


def set_customer_contact(
    actor: User,
    external_id: str,
    *,
    anti_phishing_code: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    ip_address: str | None = None,
) -> Customer:
    """Record what the exchange says about reaching a customer (found or created by their
    exchange user id): the anti-phishing code every email to them shows, the verified phone
    number calls are matched by. Supervisors and administrators (the exchange's integration
    token) only; audited without the code itself. ``None`` leaves a field as it is."""
    if not actor.sees_all_queues:
        raise PermissionDenied()
    customer = identify_customer(external_id=external_id[:64])
    changes = {
        key: value.strip()
        for key, value in (
            ("anti_phishing_code", anti_phishing_code),
            ("phone", phone),
            ("name", name),
        )
        if value is not None
    }
    with transaction.atomic():
        for key, value in changes.items():
            setattr(customer, key, value)
        if changes:
            customer.save(update_fields=list(changes))
        record_audit(
            actor,
            "customer.contact_updated",
            target_type="customer",
            target_id=customer.pk,
            after={
                key: (bool(value) if key == "anti_phishing_code" else value)
                for key, value in changes.items()
            },
            ip_address=ip_address,
        )
    return customer


def _get_or_create_customer(lookup: dict[str, str], defaults: dict[str, str]) -> Customer:
    try:
        customer, _created = Customer.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:
        # Two first messages raced; the other one created the row.
        customer = Customer.objects.get(**lookup)
    return customer
