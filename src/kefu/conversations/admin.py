from django.contrib import admin

from kefu.conversations.models import CannedResponse, Conversation, Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("pk", "name", "email", "external_id", "vip_tier", "security_level", "language")
    search_fields = ("name", "email", "external_id")
    list_filter = ("vip_tier", "security_level", "language")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: conversations change through the console, where every change is audited."""

    list_display = (
        "pk",
        "subject",
        "channel",
        "status",
        "priority",
        "queue",
        "assignee",
        "last_message_at",
    )
    list_filter = ("status", "channel", "queue", "priority")
    search_fields = ("subject",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "language", "queue")
