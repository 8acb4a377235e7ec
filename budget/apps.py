from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetConfig(AppConfig):
    """Budget med plan: budgets, decisions, frames, adjustments, planning prerequisites and the årshjul."""

    name = "budget"
    verbose_name = _("Budget med plan")
