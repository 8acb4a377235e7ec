"""
Celery tasks of the follow-up: the daily deadline reminders (scheduled by Celery beat, `CELERY_BEAT_SCHEDULE` in the
settings). The task calls one service, imported in its body.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(autoretry_for=(OperationalError, InterfaceError), max_retries=3, retry_backoff=30)
def send_deadline_reminders(today=None):
    """E-mail the editors of reports still in draft three days before their deadline and when late. `today` is an ISO
    date for tests and reruns; by default the current date. Returns the number of e-mails sent."""
    import datetime

    from django.conf import settings

    from followup.services import send_reminders

    day = datetime.date.fromisoformat(today) if today else None
    return send_reminders(today=day, base_url=settings.SITE_URL)
