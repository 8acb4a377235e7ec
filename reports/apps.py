from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Empty until its issue is built: no models, views or URLs yet."""

    name = "reports"
    verbose_name = _("Rapporter")
