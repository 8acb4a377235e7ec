from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """PDF reports rendered by Celery with WeasyPrint and archived as versions."""

    name = "reports"
    verbose_name = _("Rapporter")

    def ready(self):
        from followup.signals import report_approved

        from . import kinds  # noqa: F401 - the report kinds register themselves
        from .receivers import archive_approved_report

        report_approved.connect(archive_approved_report, dispatch_uid="reports.archive_approved_report")
