"""Django admin for the goal chain."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from styrning.admin import HistoryMPTTAdmin

from .models import Goal, Indicator, Outcome, Plan, SdgGoal, SdgTarget, Target, Value


class SdgTargetInline(admin.TabularInline):
    model = SdgTarget
    extra = 0


@admin.register(SdgGoal)
class SdgGoalAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "color")
    inlines = (SdgTargetInline,)


@admin.register(SdgTarget)
class SdgTargetAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "goal")
    list_filter = ("goal",)
    search_fields = ("code", "title")


@admin.register(Value)
class ValueAdmin(SimpleHistoryAdmin):
    list_display = ("name", "municipality", "position")
    list_filter = ("municipality",)


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ("title", "organisation", "kind", "year", "mandate_period", "status")
    list_filter = ("organisation__municipality", "kind", "status")
    search_fields = ("title",)
    autocomplete_fields = ("organisation", "decided_by")


class IndicatorInline(admin.StackedInline):
    model = Indicator
    extra = 0


@admin.register(Goal)
class GoalAdmin(HistoryMPTTAdmin):
    list_display = ("code", "title", "kind", "level", "organisation", "municipality")
    list_filter = ("municipality", "level", "kind", "perspective")
    search_fields = ("code", "title")
    autocomplete_fields = ("parent", "organisation", "plan", "contributes_to", "documents", "sdg_targets")
    inlines = (IndicatorInline,)


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ("name", "goal", "unit", "direction", "kolada_id")
    search_fields = ("name", "kolada_id", "goal__code")
    list_filter = ("goal__municipality", "direction")
    autocomplete_fields = ("goal",)
    inlines = (TargetInline, OutcomeInline)


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ("indicator", "year", "value")
    autocomplete_fields = ("indicator",)


@admin.register(Outcome)
class OutcomeAdmin(SimpleHistoryAdmin):
    list_display = ("indicator", "year", "period", "value")
    list_filter = ("period",)
    autocomplete_fields = ("indicator",)
