from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    """Empty until its issue is built: no models, views or URLs yet."""

    name = "followup"
    verbose_name = _("Uppföljning")
