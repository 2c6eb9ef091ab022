from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.accounts.access import request_staff_user
from kefu.accounts.models import ApiToken, AuditLogEntry, Brand, Team, User
from kefu.accounts.services import reset_two_factor
from kefu.lib.ratelimit import client_address


def _console_login(request: HttpRequest, extra_context: object = None) -> HttpResponseRedirect:
    """The admin site signs in through the console, so it gets the same 2FA."""
    return HttpResponseRedirect(reverse("accounts:login") + "?next=" + reverse("admin:index"))


admin.site.login = _console_login  # type: ignore[method-assign]


@admin.register(User)
class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "display_name", "role", "is_active", "totp_confirmed_at")
    list_filter = ("role", "is_active", "teams")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Kefu", {"fields": ("display_name", "role", "language", "languages_spoken", "teams")}),
    )
    readonly_fields = ("totp_confirmed_at",)
    actions = ["reset_authenticator"]

    @admin.action(description=_("Reset two-factor sign-in (they enrol again at next sign-in)"))
    def reset_authenticator(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request_staff_user(request)
        for user in queryset:
            reset_two_factor(actor, user, ip_address=client_address(request))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("queue",)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "name_zh", "primary_color")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "actor_label", "action", "target_type", "target_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "target_id")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
