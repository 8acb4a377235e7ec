from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    """The tertial follow-up and the internal control plan."""

    name = "followup"
    verbose_name = _("Uppföljning")
