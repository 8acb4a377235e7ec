"""Django admin for Budget med plan and the årshjul. Every change through the admin is recorded in the history; the
models' clean() refuses changes to a decided budget decision here too."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Budget, BudgetAssumptions, BudgetDecision, Calendar, Frame, FrameAdjustment, Milestone


class BudgetAssumptionsInline(admin.TabularInline):
    model = BudgetAssumptions
    extra = 0


@admin.register(Budget)
class BudgetAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "municipality", "year", "is_example")
    list_filter = ("municipality",)
    inlines = (BudgetAssumptionsInline,)


@admin.register(BudgetDecision)
class BudgetDecisionAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "budget", "kind", "status", "decided_on")
    list_filter = ("budget__municipality", "kind", "status")
    readonly_fields = ("number", "status", "previous")
    autocomplete_fields = ("decided_by",)


class FrameAdjustmentInline(admin.TabularInline):
    model = FrameAdjustment
    extra = 0
    raw_id_fields = ("assignment",)


@admin.register(Frame)
class FrameAdmin(SimpleHistoryAdmin):
    list_display = ("organisation", "year", "amount", "decision")
    list_filter = ("decision__budget__municipality", "year")
    autocomplete_fields = ("organisation",)
    inlines = (FrameAdjustmentInline,)


@admin.register(FrameAdjustment)
class FrameAdjustmentAdmin(SimpleHistoryAdmin):
    list_display = ("reason", "amount", "frame", "assignment")
    search_fields = ("reason",)
    list_filter = ("frame__decision__budget__municipality",)
    raw_id_fields = ("assignment",)


@admin.register(BudgetAssumptions)
class BudgetAssumptionsAdmin(SimpleHistoryAdmin):
    list_display = ("budget", "year", "tax_revenue", "financial_items", "population", "result_target_percent")
    list_filter = ("budget__municipality",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    autocomplete_fields = ("responsible",)


@admin.register(Calendar)
class CalendarAdmin(SimpleHistoryAdmin):
    list_display = ("title", "municipality", "year", "is_example")
    list_filter = ("municipality",)
    inlines = (MilestoneInline,)


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "calendar", "date", "month_only", "kind", "status")
    list_filter = ("calendar__municipality", "kind", "status")
    search_fields = ("description", "timing")
    autocomplete_fields = ("responsible",)
