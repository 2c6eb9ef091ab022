"""Permission-checked access to staff users."""

from __future__ import annotations

from django.http import HttpRequest

from kefu.accounts.errors import AuthenticationRequired
from kefu.accounts.models import User


def request_staff_user(request: HttpRequest) -> User:
    """The signed-in staff member of a console request (the middleware enforced 2FA)."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise AuthenticationRequired()
    return user
