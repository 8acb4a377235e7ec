"""Django admin for the shared core. Every change through the admin is recorded in the history."""

from django.contrib import admin
from mptt.admin import MPTTModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import MandatePeriod, Membership, Municipality, Organisation, SteeringDocument


class HistoryMPTTAdmin(SimpleHistoryAdmin, MPTTModelAdmin):
    """Tree admin with the history button."""


@admin.register(Municipality)
class MunicipalityAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "code", "is_example")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Organisation)
class OrganisationAdmin(HistoryMPTTAdmin):
    list_display = ("name", "short_name", "kind", "code", "municipality")
    list_filter = ("municipality", "kind")
    search_fields = ("name", "code", "short_name")


@admin.register(MandatePeriod)
class MandatePeriodAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "municipality")
    list_filter = ("municipality",)


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", "organisation__municipality")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("organisation",)


@admin.register(SteeringDocument)
class SteeringDocumentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "kind", "organisation", "decided_on", "revision_due", "municipality")
    list_filter = ("municipality", "kind")
    search_fields = ("title", "registration_number")
    autocomplete_fields = ("organisation", "decided_by")
