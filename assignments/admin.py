"""Django admin for the assignments."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assignment, AssignmentAmount, AssignmentDecision, AssignmentStatusUpdate


class AmountInline(admin.TabularInline):
    model = AssignmentAmount
    extra = 0


class DecisionInline(admin.StackedInline):
    model = AssignmentDecision
    extra = 0


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ("code", "title", "given_by", "lead", "start_year", "due_date", "status", "municipality")
    list_filter = ("municipality", "status", "kind", "start_year")
    search_fields = ("code", "title")
    autocomplete_fields = ("given_by", "lead", "receivers", "goals")
    inlines = (AmountInline, DecisionInline)


@admin.register(AssignmentAmount)
class AssignmentAmountAdmin(SimpleHistoryAdmin):
    list_display = ("assignment", "organisation", "year", "amount")


@admin.register(AssignmentDecision)
class AssignmentDecisionAdmin(SimpleHistoryAdmin):
    list_display = ("assignment", "kind", "decided_by", "decided_on", "budget_year")
    list_filter = ("kind",)


@admin.register(AssignmentStatusUpdate)
class AssignmentStatusUpdateAdmin(SimpleHistoryAdmin):
    list_display = ("assignment", "organisation", "status", "created")
