"""Staff accounts: creation, two-factor enrolment and verification, API tokens, the brand."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from io import BytesIO

import pyotp
import qrcode
import qrcode.image.svg
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kefu.accounts.errors import TwoFactorInvalid
from kefu.accounts.events import record_audit
from kefu.accounts.models import ApiToken, Brand, Role, Team, User
from kefu.lib.taxonomy import queues

TOKEN_PREFIX = "kefu_"  # noqa: S105 - a prefix, not a secret
TOTP_ISSUER = "Kefu"
# Accept the code of the previous and next 30-second step, for clocks that drift.
TOTP_VALID_WINDOW = 1
TOKEN_LAST_USED_PRECISION = timedelta(minutes=1)


def ensure_teams() -> list[Team]:
    """Create one team per queue of the taxonomy (idempotent) and return them all."""
    for queue in queues():
        Team.objects.get_or_create(queue=queue)
    return list(Team.objects.filter(queue__in=queues()))


BRAND_CACHE_KEY = "kefu.brand"
BRAND_CACHE_SECONDS = 60


def get_brand() -> Brand:
    """Return the exchange's brand (cached briefly), or a neutral one on a fresh install."""
    brand: Brand | None = cache.get(BRAND_CACHE_KEY)
    if brand is None:
        brand = Brand.objects.order_by("pk").first() or Brand(name="Kefu", name_zh="客服")
        cache.set(BRAND_CACHE_KEY, brand, BRAND_CACHE_SECONDS)
    return brand


def save_brand(**fields: str) -> Brand:
    """Create or update the exchange's brand."""
    brand = Brand.objects.order_by("pk").first() or Brand()
    for name, value in fields.items():
        setattr(brand, name, value)
    brand.save()
    cache.delete(BRAND_CACHE_KEY)
    return brand


def create_staff_user(
    *,
    username: str,
    password: str,
    role: Role = Role.AGENT,
    display_name: str = "",
    email: str = "",
    language: str = "en",
    languages_spoken: list[str] | None = None,
    teams: list[Team] | None = None,
    totp_secret: str = "",
    actor: User | None = None,
) -> User:
    """Create a staff member; with ``totp_secret`` their authenticator is already enrolled.

    Administrators may also use Django's admin site.
    """
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            email=email,
            display_name=display_name,
            role=role,
            language=language,
            languages_spoken=languages_spoken or ["en"],
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
            totp_secret=totp_secret,
            totp_confirmed_at=timezone.now() if totp_secret else None,
        )
        if teams:
            user.teams.set(teams)
        record_audit(
            actor,
            "staff.created",
            target_type="user",
            target_id=user.pk,
            after={
                "username": username,
                "role": str(role),
                "teams": [t.queue for t in teams or []],
            },
        )
    return user


def new_totp_secret() -> str:
    """A fresh random authenticator secret (base32)."""
    return pyotp.random_base32()


def totp_provisioning_uri(user: User, secret: str, issuer: str = TOTP_ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def qr_code_svg(data: str) -> str:
    """Render ``data`` as an inline SVG QR code (no image library needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def _matching_counter(secret: str, code: str) -> int | None:
    """Return the time step whose code equals ``code``, or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    current = totp.timecode(now)
    for offset in range(-TOTP_VALID_WINDOW, TOTP_VALID_WINDOW + 1):
        counter = current + offset
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def confirm_totp_enrolment(user: User, secret: str, code: str, *, ip_address: str | None) -> None:
    """Save ``secret`` as the user's authenticator once ``code`` proves the app has it.

    Raises TwoFactorInvalid when the code does not match.
    """
    counter = _matching_counter(secret, code)
    if counter is None:
        raise TwoFactorInvalid()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            totp_secret=secret, totp_confirmed_at=timezone.now(), totp_last_counter=counter
        )
        record_audit(
            user, "staff.2fa_enrolled", target_type="user", target_id=user.pk, ip_address=ip_address
        )
    user.refresh_from_db(fields=["totp_secret", "totp_confirmed_at", "totp_last_counter"])


def verify_totp(user: User, code: str, *, ip_address: str | None) -> None:
    """Check a sign-in code; each code is accepted once (no replay, even concurrently).

    Raises TwoFactorInvalid when the code is wrong or was already used.
    """
    if not user.totp_secret:
        raise TwoFactorInvalid()
    counter = _matching_counter(user.totp_secret, code)
    # Claim the step with a conditional update: only one request can move the counter past it.
    claimed = (
        counter is not None
        and User.objects.filter(pk=user.pk, totp_last_counter__lt=counter).update(
            totp_last_counter=counter
        )
        == 1
    )
    if not claimed:
        record_audit(
            user, "staff.2fa_failed", target_type="user", target_id=user.pk, ip_address=ip_address
        )
        raise TwoFactorInvalid()
    record_audit(
        user, "staff.signed_in", target_type="user", target_id=user.pk, ip_address=ip_address
    )


def reset_two_factor(actor: User, user: User, *, ip_address: str | None) -> None:
    """Remove a staff member's authenticator so they enrol again at next sign-in."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_secret="", totp_confirmed_at=None)
        record_audit(
            actor, "staff.2fa_reset", target_type="user", target_id=user.pk, ip_address=ip_address
        )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(
    user: User, name: str, *, ip_address: str | None = None
) -> tuple[ApiToken, str]:
    """Create an API token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:80], prefix=plain[:12], token_hash=_hash_token(plain)
        )
        record_audit(
            user,
            "api_token.created",
            target_type="api_token",
            target_id=token.pk,
            after={"name": token.name},
            ip_address=ip_address,
        )
    return token, plain


def revoke_api_token(user: User, token_id: int, *, ip_address: str | None = None) -> bool:
    """Revoke one of the user's own tokens. Returns False when there was none to revoke."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            record_audit(
                user,
                "api_token.revoked",
                target_type="api_token",
                target_id=token_id,
                ip_address=ip_address,
            )
    return bool(revoked)


def authenticate_api_token(plain: str) -> User | None:
    """Return the active staff user owning ``plain``, or None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_hash_token(plain), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Record the last use at most once a minute, so a busy integration does not write on every
    # call; the condition in the update keeps concurrent requests from writing twice.
    if token.last_used_at is None or token.last_used_at < now - TOKEN_LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOKEN_LAST_USED_PRECISION)
        ).update(last_used_at=now)
    return token.user


def record_sign_out(user: User, *, ip_address: str | None) -> None:
    """Audit a sign-out."""
    record_audit(
        user, "staff.signed_out", target_type="user", target_id=user.pk, ip_address=ip_address
    )
