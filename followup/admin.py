"""Django admin for the follow-up and the internal control plan. Every change through the admin is recorded in the
history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ActionPlan,
    AssignmentFollowUp,
    Control,
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    InternalControlPlan,
    ReminderLog,
    ReportComment,
    ReportEvent,
    ReportingDeadline,
    ReportingPeriod,
    Risk,
)


class ReportingDeadlineInline(admin.TabularInline):
    model = ReportingDeadline
    extra = 0


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "municipality", "year", "kind", "is_open")
    list_filter = ("municipality", "year", "kind", "is_open")
    inlines = (ReportingDeadlineInline,)


class GoalAssessmentInline(admin.TabularInline):
    model = GoalAssessment
    extra = 0
    raw_id_fields = ("goal",)


class AssignmentFollowUpInline(admin.TabularInline):
    model = AssignmentFollowUp
    extra = 0
    raw_id_fields = ("assignment",)


class ActionPlanInline(admin.TabularInline):
    model = ActionPlan
    extra = 0


class ControlResultInline(admin.TabularInline):
    model = ControlResult
    fk_name = "report"
    extra = 0
    raw_id_fields = ("control", "follows_up")


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    readonly_fields = ("kind", "user", "comment", "created")
    can_delete = False


@admin.register(FollowUpReport)
class FollowUpReportAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "period", "organisation", "status", "submitted_at", "approved_at")
    list_filter = ("period__municipality", "period__year", "period__kind", "status")
    search_fields = ("organisation__name",)
    autocomplete_fields = ("organisation", "decided_by")
    inlines = (GoalAssessmentInline, AssignmentFollowUpInline, ActionPlanInline, ControlResultInline, ReportEventInline)


@admin.register(ReportComment)
class ReportCommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "report", "author", "created")
    raw_id_fields = ("report", "parent")


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ("report", "kind", "recipients", "sent")
    list_filter = ("kind",)
    raw_id_fields = ("report",)


class RiskInline(admin.TabularInline):
    model = Risk
    extra = 0


@admin.register(InternalControlPlan)
class InternalControlPlanAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "organisation", "year", "status", "decided_on")
    list_filter = ("organisation__municipality", "year", "status")
    autocomplete_fields = ("organisation", "decided_by")
    inlines = (RiskInline,)


class ControlInline(admin.TabularInline):
    model = Control
    extra = 0


@admin.register(Risk)
class RiskAdmin(SimpleHistoryAdmin):
    list_display = ("process", "plan", "probability", "consequence", "in_plan")
    list_filter = ("plan__organisation__municipality", "plan__year")
    inlines = (ControlInline,)
