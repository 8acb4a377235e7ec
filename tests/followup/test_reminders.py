"""
The daily reminder job (followup.services.send_reminders, run by the Celery beat task
followup.tasks.send_deadline_reminders): which e-mails go to whom, and when.

The 2025 T1 deadlines (conftest.DEADLINES): enhet 12 May, förvaltning 19 May, nämnd 28 May, KS 10 June, KF 24 June.
Editors: the official edits BUN (so BUF and Hagaskolan, which have no editors of their own, are theirs too), the
outsider edits SN; KS and KF have no editors at all.
"""

import datetime

from followup import services, tasks
from followup.choices import PeriodKind, ReminderKind, ReportStatus
from followup.models import ReminderLog
from styrning.models import Organisation
from styrning.services import membership_grant
from tests import factories as f

from .conftest import DEADLINES, fill, give_emails, open_period, report_of

BASE = "https://styrning.vaggeryd.se"
TITLE = "T1 Budgetuppföljning (januari–april) 2025"


def run(day, month=5):
    return services.send_reminders(today=datetime.date(2025, month, day), base_url=BASE)


def sent(mailoutbox):
    """(recipient, subject) of each e-mail, sorted."""
    return sorted((tuple(m.to), m.subject) for m in mailoutbox)


def logged():
    return sorted(ReminderLog.objects.values_list("report__organisation__code", "kind", "recipients"))


DUE_SOON = "Påminnelse: uppföljningsrapport ska lämnas in"
LATE = "Försenad uppföljningsrapport"


def test_three_days_before_the_deadline(fw, mailoutbox):
    w = fw
    assert run(8) == 0 and mailoutbox == []  # four days before the enheter's deadline
    assert run(9) == 1
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["official@vaggeryd.se"], DUE_SOON)
    report = report_of(w.t1, w.school)
    assert mail.body == (
        "Hej official,\n"
        "\n"
        f"- {TITLE}, Hagaskolan ska skickas in senast 2025-05-12.\n"
        f"  {BASE}/rapport/{report.pk}/\n"
        "\n"
        "Rapporten skickas in under Att rapportera i Styrning.\n"
        "\n"
        "Hälsningar\n"
        "Styrning"
    )
    assert logged() == [("HAGA", ReminderKind.DUE_SOON, "official@vaggeryd.se")]
    # Never twice: not the next day, nor on the deadline itself.
    assert run(10) == 0 and run(12) == 0 and len(mailoutbox) == 1


def test_when_late(fw, mailoutbox):
    w = fw
    run(9)
    mailoutbox.clear()
    assert run(13) == 1
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["official@vaggeryd.se"], LATE)
    assert f"- {TITLE}, Hagaskolan skulle ha skickats in senast 2025-05-12 och är försenad.\n" in mail.body
    assert f"{BASE}/rapport/{report_of(w.t1, w.school).pk}/" in mail.body
    assert run(14) == 0 and len(mailoutbox) == 1
    assert logged() == [
        ("HAGA", ReminderKind.DUE_SOON, "official@vaggeryd.se"),
        ("HAGA", ReminderKind.LATE, "official@vaggeryd.se"),
    ]


def test_one_email_per_editor_naming_each_report(fw, mailoutbox):
    # 25 May: the nämnder's deadline is three days away, the enheter's and förvaltningar's have passed.
    assert run(25) == 2
    assert sent(mailoutbox) == [(("official@vaggeryd.se",), LATE), (("outsider@vaggeryd.se",), DUE_SOON)]
    official = next(m for m in mailoutbox if m.to == ["official@vaggeryd.se"])
    assert f"{TITLE}, Barn- och utbildningsnämnden ska skickas in senast 2025-05-28." in official.body
    assert f"{TITLE}, Barn- och utbildningsförvaltningen skulle ha skickats in senast 2025-05-19" in official.body
    assert f"{TITLE}, Hagaskolan skulle ha skickats in senast 2025-05-12" in official.body
    assert "Socialnämnden" not in official.body
    outsider = next(m for m in mailoutbox if m.to == ["outsider@vaggeryd.se"])
    assert f"{TITLE}, Socialnämnden ska skickas in senast 2025-05-28." in outsider.body
    assert "Barn- och utbildningsnämnden" not in outsider.body
    assert [code for code, _kind, _to in logged()] == ["BUF", "BUN", "HAGA", "SN"]


def test_none_for_an_organisation_that_has_sent_in(fw, mailoutbox):
    w = fw
    services.report_submit(fill(w.buf_report, user=w.official), user=w.official)
    bun = fill(w.bun_report, user=w.official)
    services.report_submit(bun, user=w.official)
    services.report_approve(bun, user=w.colleague, decided_by=w.bun, decided_on=datetime.date(2025, 5, 20))
    assert (w.buf_report.status, bun.status) == (ReportStatus.SUBMITTED, ReportStatus.APPROVED)

    run(25)
    official = next(m for m in mailoutbox if m.to == ["official@vaggeryd.se"])
    assert "Hagaskolan" in official.body
    assert "Barn- och utbildningsnämnden" not in official.body and "förvaltningen" not in official.body
    assert [code for code, _kind, _to in logged()] == ["HAGA", "SN"]


def test_a_returned_report_is_reminded_again(fw, mailoutbox):
    w = fw
    services.report_submit(fill(w.buf_report, user=w.official), user=w.official)
    run(16)  # the förvaltning's deadline is three days away, but BUF has sent in (Hagaskolan is late)
    assert "förvaltningen" not in mailoutbox[0].body
    mailoutbox.clear()
    services.report_return(w.buf_report, user=w.official, comment="Komplettera analysen.")
    assert run(20) == 1  # returned and now late
    [mail] = mailoutbox
    assert mail.subject == LATE and "Barn- och utbildningsförvaltningen skulle ha skickats in" in mail.body


def test_nearest_editors_only(fw, mailoutbox):
    w = fw
    principal = f.make_user("principal", first_name="Rektor", last_name="Hagaskolan")
    reader = f.make_user("reader")
    give_emails(principal, reader)
    membership_grant(user=principal, organisation=w.school, role="editor", granted_by=None)
    membership_grant(user=reader, organisation=w.school, role="reviewer", granted_by=None)
    # An editor who has left (inactive) or has no address gets nothing.
    gone = f.make_user("gone", email="gone@vaggeryd.se", is_active=False)
    membership_grant(user=gone, organisation=w.school, role="editor", granted_by=None)
    run(9)
    [mail] = mailoutbox
    assert mail.to == ["principal@vaggeryd.se"] and mail.body.startswith("Hej Rektor Hagaskolan,\n")
    assert logged() == [("HAGA", ReminderKind.DUE_SOON, "principal@vaggeryd.se")]


def test_reminder_recipients(fw):
    codes = ["KF", "KS", "BUN", "BUF", "HAGA", "SN", "KFN"]
    # Loaded as the job loads them (the objects of the fixture have old tree numbers).
    organisations = sorted(Organisation.objects.filter(code__in=codes), key=lambda o: codes.index(o.code))
    recipients = services.reminder_recipients(organisations)
    assert {org.code: [u.username for u in recipients[org.pk]] for org in organisations} == {
        "KF": [],
        "KS": [],
        "BUN": ["official"],
        "BUF": ["official"],
        "HAGA": ["official"],
        "SN": ["outsider"],
        "KFN": ["foreigner"],
    }
    assert services.reminder_recipients([]) == {}


def test_an_organisation_without_editors_is_reminded_once_it_has_one(fw, mailoutbox):
    w = fw
    assert run(7, month=6) == 2  # KS due soon: nobody to tell (BUN, BUF, HAGA and SN are late)
    assert "Kommunstyrelsen" not in "".join(m.body for m in mailoutbox)
    assert "KS" not in [code for code, _kind, _to in logged()]
    mailoutbox.clear()
    secretary = f.make_user("secretary")
    give_emails(secretary)
    membership_grant(user=secretary, organisation=w.ks, role="editor", granted_by=None)
    assert run(8, month=6) == 1
    [mail] = mailoutbox
    assert mail.to == ["secretary@vaggeryd.se"] and "Kommunstyrelsen ska skickas in senast 2025-06-10." in mail.body


def test_a_missed_day_still_reminds(fw, mailoutbox):
    """The job did not run three days before (a stopped worker, a period opened late): it reminds the next time."""
    run(11)
    [mail] = mailoutbox
    assert mail.subject == DUE_SOON and "Hagaskolan ska skickas in senast 2025-05-12." in mail.body


def test_none_for_a_closed_period(fw, mailoutbox):
    w = fw
    services.period_close(w.t1, user=w.admin)
    assert run(9) == 0 and run(13) == 0 and run(25) == 0
    assert mailoutbox == [] and not ReminderLog.objects.exists()


def test_periods_and_municipalities_apart(fw, mailoutbox):
    w = fw
    give_emails(w.foreigner)
    other = services.period_create(municipality=w.other, year=2025, kind=PeriodKind.T1, user=None, deadlines=DEADLINES)
    services.period_open(other, user=None)
    # T2 of Vaggeryd is open too, with its deadlines far ahead.
    open_period(w, kind=PeriodKind.T2, deadlines={level: date.replace(month=9) for level, date in DEADLINES.items()})
    run(25)
    assert sent(mailoutbox) == [
        (("foreigner@vaggeryd.se",), DUE_SOON),
        (("official@vaggeryd.se",), LATE),
        (("outsider@vaggeryd.se",), DUE_SOON),
    ]
    foreigner = next(m for m in mailoutbox if m.to == ["foreigner@vaggeryd.se"])
    assert f"{TITLE}, Kultur- och fritidsnämnden ska skickas in senast 2025-05-28." in foreigner.body
    assert "Socialnämnden" not in foreigner.body and "Barn- och" not in foreigner.body
    assert "Delårsrapport" not in "".join(m.body for m in mailoutbox)


def test_the_task_sends_with_the_site_address(fw, mailoutbox, settings, eager):
    w = fw
    settings.SITE_URL = "https://styrning.example.se"
    assert tasks.send_deadline_reminders.delay(today="2025-05-09").get() == 1
    [mail] = mailoutbox
    assert f"https://styrning.example.se/rapport/{report_of(w.t1, w.school).pk}/" in mail.body
    assert tasks.send_deadline_reminders(today="2025-05-09") == 0


def test_the_task_is_scheduled_daily(settings):
    [entry] = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "followup.tasks.send_deadline_reminders"
    ]
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {30}
