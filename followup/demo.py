"""
The follow-up of the demo municipalities (issue 4: "the demo has Vaggeryd's last year with all three periods reported
and approved and this year's T1 in progress, so a newcomer sees the whole cycle").

The years follow the machine's date, as the rest of the demo does: "last year" is the year before today's, "this
year" today's. For last year the loader creates each period in turn, opens it, fills every report, sends each in and
approves it bottom-up (enhet → verksamhet → förvaltning → nämnd and bolag → KS → KF, with the body's decision at
nämnd, KS and KF level) and closes it, so the next period follows up the deviations the internal control found. For
this year it creates the three periods, opens T1 and brings each report to the status the file gives it. The internal
control plans of both years are created and adopted first.

Vaggeryd's content is `fixtures/demo/followup/vaggeryd.json`; none of it is from a seed document, so all of it is
example data. A municipality without a file gets this year's periods with T1 open and its reports ready to fill.
Everything is written through followup.services (validation, history, the workflow's events), and a report is sent in
only when `report_problems` finds nothing missing, so a file that sets something inconsistent (a deficit beyond
delegation without an åtgärdsplan, a control deviation without measures) fails with the place named. What a report
answers for comes from the other demo data: the goals of the organisation's plan for the year, the assignments it
leads, the controls of its plan; the file's texts are keyed by goal code, assignment code and risk process. The
approval copies (PDFs that reports renders for each approval) are not made for the demo's approvals.

The file (every key optional unless marked *):

    thresholds     {"percent": "1.00", "amount": kronor}       the deviation thresholds of every period
    deadlines      {"t1": {"<level>": "MM-DD"}}                 overrides DEADLINES; each is the first such day after
                                                                the period's end, moved off a weekend
    submitters     {"<org>": "<username>"}                      who writes and sends in the reports of that subtree
                                                                (others: the administrator)
    decisions      {"<org>": {"dnr": "KS", "t1": ["<§>", <dnr number>], …}}
                                                                approval at nämnd, KS and KF level: the body decides
                                                                on the level's deadline, "Dnr KS <year>/<number>"
    budget_shares  {"<org>": share}                             budget as a share of the parent's, for organisations
                                                                without a frame or an amount in "budgets"
    control_plans  [{"org"*, "year"*: "last" | "this", "description",
                     "adopted": {"on"*: "MM-DD" of the year before, "paragraph", "dnr": <number>},
                     "risks": [{"process"*, "description"*, "probability"*, "consequence"*, "in_plan",
                                "control": {"method"*, "responsible"*, "frequency", "tertials": ["t1", …]}}]}]
    last_year, this_year
                   {"budgets": {"<org>": mkr}, "t1" | "t2" | "t3": {"<org>": report}}   (this year: only "t1")
    report         {"status": "draft" | "submitted" | "returned" | "approved", "summary",
                    "deviation": mkr (budget minus the full-year figure; negative is a deficit), "analysis",
                    "within_delegation", "goals": {"<code>": [assessment, forecast, analysis, justification]},
                    "assignments": {"<code>": [status, comment]},
                    "controls": {"<risk process>": [outcome, findings, measures]},
                    "actions": [{"measure"*, "responsible"*, "due"*: "MM-DD", "effect": mkr, "status"}],
                    "returned": comment when sent back, "comment": the approval's comment}
    comments       [{"year"*: "last" | "this", "period"*, "org"*, "thread"*: [["<username>", "text"], …]}]

Last year's reports default to approved, this year's to draft. A report that is sent in gets a plain answer for
whatever the file does not cover (a goal, assignment or control added to the goal chain since, an organisation
without an entry), so the demo keeps loading as the other demo data grows; a draft gets only what the file says.
"""

import datetime
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assignments.choices import REPORTED_STATUSES, AssignmentStatus
from styrning.models import Organisation

from . import services
from .choices import DECIDING_LEVELS, DeadlineLevel, PeriodKind, ReportStatus
from .models import (
    AssignmentFollowUp,
    Control,
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    InternalControlPlan,
    ReportingPeriod,
    Risk,
)
from .selectors import report_page

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo" / "followup"
REASON = "Demodata"
MILLION = Decimal(1_000_000)

# When each level's report is due (enhet, förvaltning, nämnd, KS, KF): T1 before the summer, T2 after it, T3
# (årsredovisningen) in the new year.
DEADLINES = {
    kind: dict(zip((level.value for level in DeadlineLevel), days, strict=True))
    for kind, days in (
        (PeriodKind.T1, ("05-08", "05-15", "05-27", "06-10", "06-22")),
        (PeriodKind.T2, ("09-10", "09-17", "09-29", "10-13", "10-26")),
        (PeriodKind.T3, ("01-23", "01-30", "02-19", "03-11", "03-30")),
    )
}
# The share of the full-year figure booked by the end of the period (the summer's costs are lower).
OUTCOME_SHARE = {PeriodKind.T1: Decimal("0.318"), PeriodKind.T2: Decimal("0.652"), PeriodKind.T3: Decimal(1)}

# The plain answers for what a report sent in must answer and the file does not cover.
PLAIN_SUMMARY = "Verksamheten har bedrivits enligt plan. Inga avvikelser att rapportera."
PLAIN_GOAL = ("met", "met", "Aktiviteterna genomförs enligt plan och indikatorerna utvecklas i önskad riktning.")
PLAIN_ASSIGNMENT = "Arbetet pågår enligt plan."
PLAIN_CONTROL = ("ok", "Kontrollen är genomförd utan anmärkning.", "")
PLAIN_ANALYSIS = "Avvikelsen följs upp månadsvis och hanteras inom verksamhetens ram."
PLAIN_JUSTIFICATION = "Bedömningen väger in indikatorernas utfall och hela verksamheten, inte bara målen under."


def load_municipality(municipality, data, *, user, today=None):
    """Load the municipality's follow-up unless it has periods or control plans already. Returns the counts."""
    if not (
        ReportingPeriod.objects.filter(municipality=municipality).exists()
        or InternalControlPlan.objects.filter(organisation__municipality=municipality).exists()
    ):
        path = DEMO_DIR / f"{municipality.slug}.json"
        spec = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        loader = FollowUpDemo(municipality, spec, user=user, today=today or timezone.localdate())
        try:
            loader.load()
        except KeyError as exc:
            raise ValidationError(f"{path.name}: {loader.where}: okänd kod {exc}") from None
        except ValidationError as exc:
            raise ValidationError(f"{path.name}: {loader.where}: {'; '.join(exc.messages)}") from None
    return {
        "uppföljningsperioder": ReportingPeriod.objects.filter(municipality=municipality).count(),
        "uppföljningsrapporter": FollowUpReport.objects.filter(period__municipality=municipality).count(),
        "interna kontrollplaner": InternalControlPlan.objects.filter(organisation__municipality=municipality).count(),
    }


def _weekday(date):
    """The date, or the Monday after it if it falls on a weekend (meetings and deadlines are on working days)."""
    return date + datetime.timedelta(days=7 - date.weekday()) if date.weekday() >= 5 else date


def _after(day, month_day):
    """The first "MM-DD" after `day`, moved off a weekend."""
    month, dom = (int(part) for part in month_day.split("-"))
    date = datetime.date(day.year, month, dom)
    if date <= day:
        date = datetime.date(day.year + 1, month, dom)
    return _weekday(date)


def _round(value, step=1000):
    """Kronor rounded to `step` (the file's amounts are in mkr, reports show tkr)."""
    return int((Decimal(value) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


def _kronor(mkr):
    """Kronor from mkr as the file writes them (a JSON number goes through its text, never float arithmetic)."""
    return None if mkr is None else _round(Decimal(str(mkr)) * MILLION)


class FollowUpDemo:
    """Loads one municipality's follow-up from its file; `where` names the place being loaded, for error messages."""

    def __init__(self, municipality, spec, *, user, today):
        self.municipality = municipality
        self.spec = spec
        self.admin = user
        self.this_year = today.year
        self.last_year = today.year - 1
        self.where = ""
        self.orgs = {o.code: o for o in Organisation.objects.filter(municipality=municipality)}
        usernames = set(spec.get("submitters", {}).values())
        usernames |= {name for comment in spec.get("comments", []) for name, _text in comment["thread"]}
        self.users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}

    @transaction.atomic
    def load(self):
        """The control plans, last year's three periods reported and closed, this year's periods with T1 open and
        its reports as far as the file takes them, and the comments. In one transaction, so a file that fails leaves
        nothing and the approvals' on-commit hooks wait for its end (see `_workflow`)."""
        for plan in self.spec.get("control_plans", []):
            self.where = f"intern kontrollplan {plan.get('org')} {plan.get('year')}"
            self._control_plan(plan)
        if self.spec:
            last = self.spec.get("last_year", {})
            for kind in PeriodKind:
                period = self._period(self.last_year, kind)
                services.period_open(period, user=self.admin, reason=REASON)
                self._reports(period, last.get(kind.value, {}), last.get("budgets", {}), ReportStatus.APPROVED)
                services.period_close(period, user=self.admin, reason=REASON)
        this = self.spec.get("this_year", {})
        periods = [self._period(self.this_year, kind) for kind in PeriodKind]
        services.period_open(periods[0], user=self.admin, reason=REASON)
        if self.spec:
            self._reports(periods[0], this.get(PeriodKind.T1.value, {}), this.get("budgets", {}), ReportStatus.DRAFT)
        for comment in self.spec.get("comments", []):
            self._comments(comment)

    # --- Periods ------------------------------------------------------------------------------------------------

    def _period(self, year, kind):
        self.where = f"{kind.label} {year}"
        days = {**DEADLINES[kind], **self.spec.get("deadlines", {}).get(kind.value, {})}
        end = ReportingPeriod(year=year, kind=kind).end_date
        period = services.period_create(
            municipality=self.municipality,
            year=year,
            kind=kind,
            user=self.admin,
            deadlines={DeadlineLevel(level): _after(end, day) for level, day in days.items()},
            reason=REASON,
            is_example=True,
        )
        thresholds = self.spec.get("thresholds")
        if thresholds:
            percent, amount = Decimal(str(thresholds.get("percent", "1"))), thresholds.get("amount")
            if (period.deviation_threshold_percent, period.deviation_threshold_amount) != (percent, amount):
                period.deviation_threshold_percent, period.deviation_threshold_amount = percent, amount
                services.period_save(period, user=self.admin, reason=REASON)
        return period

    # --- Reports ------------------------------------------------------------------------------------------------

    def _reports(self, period, content, budgets, default_status):
        """Fill the period's reports as `content` says, then take each through the workflow, bottom-up."""
        reports = list(
            FollowUpReport.objects.filter(period=period)
            .select_related("period", "organisation")
            .order_by("organisation__tree_id", "organisation__lft")
        )
        items = self._items(reports)
        deadlines = {d.level: d.date for d in period.deadlines.all()}
        known = {}
        steps = []
        for report in reports:  # tree order: a parent's budget is known before its children's
            code = report.organisation.code
            self.where = f"{period}, {code}"
            spec = content.get(code, {})
            status = spec.get("status", default_status)
            known[report.organisation_id] = self._budget(report, budgets, known)
            self._fill(report, spec, items[report.pk], complete=status != ReportStatus.DRAFT)
            steps.append((report, spec, status))
        for report, spec, status in sorted(steps, key=lambda step: -step[0].organisation.level):
            self.where = f"{period}, {report.organisation.code}"
            self._workflow(report, spec, status, deadlines)

    def _items(self, reports):
        """{report id: {"goals": {code: item}, "assignments": {code: item}, "controls": {process: item}}}."""
        ids = [r.pk for r in reports]
        result = {pk: {"goals": {}, "assignments": {}, "controls": {}} for pk in ids}
        for item in GoalAssessment.objects.filter(report__in=ids).select_related("goal"):
            result[item.report_id]["goals"][item.goal.code] = item
        for item in AssignmentFollowUp.objects.filter(report__in=ids).select_related("assignment"):
            result[item.report_id]["assignments"][item.assignment.code] = item
        for item in ControlResult.objects.filter(report__in=ids).select_related("control__risk"):
            result[item.report_id]["controls"][item.control.risk.process] = item
        return result

    def _budget(self, report, budgets, known):
        """The year's budget: the decided frame (filled when the period opened), the file's amount, or a share of the
        parent's budget."""
        if report.budget is None:
            code = report.organisation.code
            parent = known.get(report.organisation.parent_id)
            share = self.spec.get("budget_shares", {}).get(code)
            if code in budgets:
                report.budget = _kronor(budgets[code])
            elif share is not None and parent:
                report.budget = _round(parent * Decimal(str(share)), 10_000)
        return report.budget

    def _writer(self, organisation):
        for code, username in self.spec.get("submitters", {}).items():
            holder = self.orgs.get(code)
            if holder is not None and holder.contains(organisation) and username in self.users:
                return self.users[username]
        return self.admin

    def _fill(self, report, spec, items, *, complete):
        """Write the report's economy and texts and its items; a report to be sent in gets a plain answer for whatever
        the file leaves out."""
        if not (complete or spec):
            return
        user = self._writer(report.organisation)
        kind = report.period.kind
        if complete or "deviation" in spec:
            if report.budget is None:
                report.budget = _kronor(10)  # an organisation the file does not know: any budget will do
            figure = report.budget - _kronor(spec.get("deviation", 0))
            report.forecast = figure
            report.outcome_to_date = _round(figure * OUTCOME_SHARE[kind])
        report.summary = spec.get("summary", PLAIN_SUMMARY if complete else "")
        report.deviation_analysis = spec.get("analysis", "")
        report.within_delegation = spec.get("within_delegation")
        if complete and report.deviation_passes_threshold():
            report.deviation_analysis = report.deviation_analysis or PLAIN_ANALYSIS
            if report.deviation < 0 and report.within_delegation is None:
                report.within_delegation = True
        services.report_save(report, user=user, reason=REASON)

        for code, item in items["goals"].items():
            values = spec.get("goals", {}).get(code) or (PLAIN_GOAL if complete else None)
            if values:
                assessment, forecast, analysis, *justification = values
                item.assessment = assessment
                item.forecast = (forecast or assessment) if report.period.has_forecast else ""
                item.analysis = analysis
                item.justification = justification[0] if justification else ""
                services.item_save(item, user=user, reason=REASON)
        for code, item in items["assignments"].items():
            values = spec.get("assignments", {}).get(code)
            if values is None and complete:
                current = item.assignment.status
                values = (current if current in REPORTED_STATUSES else AssignmentStatus.ONGOING, PLAIN_ASSIGNMENT)
            if values:
                item.status, item.comment = values
                services.item_save(item, user=user, reason=REASON)
        for process, item in items["controls"].items():
            values = spec.get("controls", {}).get(process) or (PLAIN_CONTROL if complete else None)
            if values:
                item.outcome, item.findings, item.measures = values
                services.item_save(item, user=user, reason=REASON)
        for action in spec.get("actions", []):
            services.action_add(
                report,
                user=user,
                measure=action["measure"],
                responsible=action["responsible"],
                due_date=_after(report.period.end_date, action["due"]),
                effect=_kronor(action.get("effect")),
                status=action.get("status", "planned"),
            )

    def _justify(self, report, user):
        """Give a justification to each assessment that differs from the roll-up of the children's goals and has none
        (the file's texts agree with the roll-up; this keeps the demo loading when the goal chain changes)."""
        for item in report_page(report=report, user=user)["assessments"]:
            suggestion = item.suggestion
            if (
                suggestion is not None
                and suggestion.assessment
                and item.assessment
                and item.assessment != suggestion.assessment
                and not item.justification.strip()
            ):
                item.justification = PLAIN_JUSTIFICATION
                services.item_save(item, user=user, reason=REASON)

    def _workflow(self, report, spec, status, deadlines):
        """Send the report in and approve it (the body's decision at nämnd, KS and KF level), or send it back."""
        if status == ReportStatus.DRAFT:
            return
        user = self._writer(report.organisation)
        try:
            report = services.report_submit(report, user=user)
        except ValidationError:
            # Only a justification can be missing that the file could not foresee (the goal chain changed since);
            # anything else fails again, naming what is missing.
            self._justify(report, user)
            report = services.report_submit(report, user=user)
        if status == ReportStatus.RETURNED:
            services.report_return(report, user=self.admin, comment=spec["returned"])
        elif status == ReportStatus.APPROVED:
            decision = self._decision(report, deadlines) if report.level in DECIDING_LEVELS else {}
            # No PDF approval copies for the demo's ninety example approvals: minutes of rendering at every load.
            services.report_approve(report, user=self.admin, comment=spec.get("comment", ""), archive=False, **decision)

    def _decision(self, report, deadlines):
        """The body decides on its own report at the meeting on its level's deadline."""
        organisation = report.organisation
        decided_on = deadlines[report.level]
        register = self.spec.get("decisions", {}).get(organisation.code, {})
        paragraph, number = register.get(report.period.kind, ("", None))
        prefix = register.get("dnr", organisation.short_name or organisation.code)
        return {
            "decided_by": organisation,
            "decided_on": decided_on,
            "paragraph": paragraph,
            "registration_number": f"Dnr {prefix} {decided_on.year}/{number}" if number else "",
        }

    def _comments(self, spec):
        year = self.last_year if spec["year"] == "last" else self.this_year
        self.where = f"kommentarer {spec['period'].upper()} {year} {spec['org']}"
        report = FollowUpReport.objects.get(
            period__municipality=self.municipality,
            period__year=year,
            period__kind=spec["period"],
            organisation=self.orgs[spec["org"]],
        )
        parent = None
        for username, text in spec["thread"]:
            comment = services.comment_add(report, user=self.users.get(username, self.admin), text=text, parent=parent)
            parent = parent or comment

    # --- Internal control -----------------------------------------------------------------------------------------

    def _control_plan(self, spec):
        year = self.last_year if spec["year"] == "last" else self.this_year
        organisation = self.orgs[spec["org"]]
        plan = services.control_plan_create(
            organisation=organisation,
            year=year,
            user=self.admin,
            description=spec.get("description", ""),
            is_example=True,
        )
        for item in spec.get("risks", []):
            risk = services.risk_save(
                Risk(
                    plan=plan,
                    process=item["process"],
                    description=item["description"],
                    probability=item["probability"],
                    consequence=item["consequence"],
                    in_plan=item.get("in_plan", True),
                    is_example=True,
                ),
                user=self.admin,
                reason=REASON,
            )
            control = item.get("control")
            if control:
                tertials = set(control.get("tertials", [kind.value for kind in PeriodKind]))
                services.control_save(
                    Control(
                        risk=risk,
                        method=control["method"],
                        responsible=control["responsible"],
                        frequency=control.get("frequency", "tertial"),
                        report_t1="t1" in tertials,
                        report_t2="t2" in tertials,
                        report_t3="t3" in tertials,
                        is_example=True,
                    ),
                    user=self.admin,
                    reason=REASON,
                )
        adopted = spec.get("adopted")
        if adopted:
            month, day = (int(part) for part in adopted["on"].split("-"))
            decided_on = _weekday(datetime.date(year - 1, month, day))
            prefix = organisation.short_name or organisation.code
            services.control_plan_adopt(
                plan,
                user=self.admin,
                decided_by=self.orgs[adopted.get("by", spec["org"])],
                decided_on=decided_on,
                paragraph=adopted.get("paragraph", ""),
                registration_number=f"Dnr {prefix} {decided_on.year}/{adopted['dnr']}" if adopted.get("dnr") else "",
                reason=REASON,
            )
