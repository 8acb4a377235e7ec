from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    """Empty until its issue is built: no models, views or URLs yet."""

    name = "assignments"
    verbose_name = _("Uppdrag")
