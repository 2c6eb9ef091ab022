"""Who is behind a chat widget: an anonymous visitor, or an exchange user the site vouches for.

The widget keeps a signed visitor token in the browser. A site that knows its user can pass the
user's exchange id with an HMAC of it made with ``KEFU_WIDGET_IDENTITY_SECRET`` (identity
verification); without a valid HMAC nobody can claim to be someone else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import NotFound, PermissionDenied
from kefu.lib.language import normalise_language

VISITOR_TOKEN_SALT = "kefu.widget.visitor"  # noqa: S105 - a salt name, not a secret
VISITOR_TOKEN_MAX_AGE_SECONDS = 180 * 24 * 3600


@dataclass(frozen=True)
class VisitorIdentity:
    """What the visitor token says about the person chatting."""

    visitor_id: str
    external_id: str | None = None
    name: str = ""
    email: str = ""
    language: str = "en"


def issue_visitor_token(identity: VisitorIdentity) -> str:
    """Sign ``identity`` into a token the widget keeps."""
    return signing.dumps(asdict(identity), salt=VISITOR_TOKEN_SALT, compress=True)


def read_visitor_token(token: str) -> VisitorIdentity:
    """Return the identity in a visitor token; raise NotFound when it is forged or too old."""
    if not token or len(token) > 2048:
        raise NotFound()
    try:
        data = signing.loads(token, salt=VISITOR_TOKEN_SALT, max_age=VISITOR_TOKEN_MAX_AGE_SECONDS)
    except signing.BadSignature as error:
        raise NotFound() from error
    try:
        return VisitorIdentity(**data)
    except TypeError as error:
        raise NotFound() from error


def user_hash(external_id: str) -> str:
    """The HMAC the exchange's site computes for one of its users (hex SHA-256)."""
    key = settings.WIDGET_IDENTITY_SECRET.encode("utf-8")
    return hmac.new(key, external_id.encode("utf-8"), hashlib.sha256).hexdigest()


class IdentityRejected(PermissionDenied):
    default_message = _("The user identity could not be verified.")


def open_widget_session(
    *,
    visitor_token: str = "",
    external_id: str = "",
    external_id_hash: str = "",
    name: str = "",
    email: str = "",
    language: str = "",
) -> str:
    """Return a visitor token for a widget that is loading: the old one renewed, or a new one.

    With ``external_id`` the site claims the visitor is one of its users; the claim needs a
    valid ``external_id_hash`` (raises IdentityRejected otherwise).
    """
    previous: VisitorIdentity | None = None
    if visitor_token:
        try:
            previous = read_visitor_token(visitor_token)
        except NotFound:
            previous = None
    external: str | None = None
    if external_id:
        expected = user_hash(external_id) if settings.WIDGET_IDENTITY_SECRET else ""
        if not expected or not hmac.compare_digest(expected, external_id_hash.lower()):
            raise IdentityRejected()
        external = external_id[:64]
    elif previous is not None:
        external = previous.external_id
    identity = VisitorIdentity(
        visitor_id=previous.visitor_id if previous else secrets.token_urlsafe(16),
        external_id=external,
        name=(name or (previous.name if previous else ""))[:120],
        email=(email or (previous.email if previous else ""))[:254],
        language=normalise_language(language or (previous.language if previous else "en")),
    )
    return issue_visitor_token(identity)
