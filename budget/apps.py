from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetConfig(AppConfig):
    """Empty until its issue is built: no models, views or URLs yet."""

    name = "budget"
    verbose_name = _("Budget med plan")
