"""Customers as support knows them: found by exchange id, widget visitor or email."""

from __future__ import annotations

from django.db import IntegrityError

from kefu.conversations.models import Customer


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


def _get_or_create_customer(lookup: dict[str, str], defaults: dict[str, str]) -> Customer:
    try:
        customer, _created = Customer.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:
        # Two first messages raced; the other one created the row.
        customer = Customer.objects.get(**lookup)
    return customer
