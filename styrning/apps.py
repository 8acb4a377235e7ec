from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StyrningConfig(AppConfig):
    name = "styrning"
    verbose_name = _("Styrning")
