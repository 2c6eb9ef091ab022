from django.contrib import admin

from kefu.routing.models import (
    AgentProfile,
    BusinessCalendar,
    ConversationRouting,
    Holiday,
    SlaPolicy,
)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin[AgentProfile]):
    list_display = ["user", "presence", "chat_capacity", "ticket_capacity", "seniority"]
    list_filter = ["presence", "seniority"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ["name", "position", "priority", "channel", "is_active", "calendar"]


class HolidayInline(admin.TabularInline[Holiday, BusinessCalendar]):
    model = Holiday


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    list_display = ["name", "timezone"]
    inlines = [HolidayInline]


@admin.register(ConversationRouting)
class ConversationRoutingAdmin(admin.ModelAdmin[ConversationRouting]):
    list_display = ["conversation", "priority_score", "queued_at", "escalation_level"]
    readonly_fields = ["conversation"]
