"""Signal receivers: an approved follow-up report gets its PDF archived as the approval copy (what was decided)."""


def archive_approved_report(sender, *, report, user, **kwargs):
    from .services import report_request

    report_request(kind="tertial", params={"report": report.pk}, user=user, is_approval_copy=True)
