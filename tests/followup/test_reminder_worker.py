"""
The reminder job through a real Celery worker on Redis (CI sets CELERY_BROKER_URL; without it these tests are
skipped and tests/followup/test_reminders.py covers the job in-process).

As in tests/goals/test_import_job.py, the worker runs in a thread of the test process, on a queue of its own, against
the same database (hence transactional_db: the worker's connection sees only what is committed) and the same
in-memory mail outbox.
"""

import threading
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings

from followup import services
from followup.choices import ReminderKind
from followup.models import ReminderLog
from followup.tasks import send_deadline_reminders

from .conftest import report_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.CELERY_BROKER_URL, reason="no CELERY_BROKER_URL: no worker to run on"),
]


def wait_for_logs(count, timeout=60):
    """The reminder log once it has `count` rows (the worker commits them with the e-mails)."""
    deadline = time.monotonic() + timeout
    while ReminderLog.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return sorted(ReminderLog.objects.values_list("report__organisation__code", "kind", "recipients"))


def test_worker_sends_the_reminders(fw, celery_worker, mailoutbox, settings):
    w = fw
    settings.SITE_URL = "https://styrning.vaggeryd.se"
    threads = []
    real = services.send_reminders
    with mock.patch.object(
        services, "send_reminders", side_effect=lambda **kw: threads.append(threading.get_ident()) or real(**kw)
    ):
        # 25 May 2025: the nämnder's deadline is three days away; the enheter's and förvaltningar's have passed.
        result = send_deadline_reminders.delay(today="2025-05-25")
        assert result.get(timeout=60) == 2
    assert threads and threads != [threading.get_ident()]  # run by the worker, not in the test's thread

    assert wait_for_logs(4) == [
        ("BUF", ReminderKind.LATE, "official@vaggeryd.se"),
        ("BUN", ReminderKind.DUE_SOON, "official@vaggeryd.se"),
        ("HAGA", ReminderKind.LATE, "official@vaggeryd.se"),
        ("SN", ReminderKind.DUE_SOON, "outsider@vaggeryd.se"),
    ]
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("official@vaggeryd.se", "Försenad uppföljningsrapport"),
        ("outsider@vaggeryd.se", "Påminnelse: uppföljningsrapport ska lämnas in"),
    ]
    outsider = next(m for m in mailoutbox if m.to == ["outsider@vaggeryd.se"])
    assert "T1 Budgetuppföljning (januari–april) 2025, Socialnämnden ska skickas in senast 2025-05-28." in outsider.body
    assert f"https://styrning.vaggeryd.se/rapport/{report_of(w.t1, w.sn).pk}/" in outsider.body

    # The next run finds nothing new to send.
    assert send_deadline_reminders.delay(today="2025-05-26").get(timeout=60) == 0
    assert len(mailoutbox) == 2 and ReminderLog.objects.count() == 4
