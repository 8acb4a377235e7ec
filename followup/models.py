"""
The tertial follow-up (004 "Uppföljning och återrapportering") and the internal control plan (004 "Intern
kontrollplan").

Three times a year (T1 budgetuppföljning, T2 delårsrapport, T3 årsredovisning) every organisation writes one report:
an assessment of each goal in its plan, the indicators' outcomes (kept on the goal chain's Outcome), the status of the
assignments it leads, the economy with a deviation analysis and, where a deviation cannot be handled within
delegation, an åtgärdsplan, and the results of its internal controls. Reports travel up: utkast → inskickad →
godkänd (or återremitterad back to the writer), each level approving before the next compiles.
"""

import calendar as calendar_module
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.choices import REPORTED_STATUSES
from styrning.choices import Role
from styrning.models import BaseModel, DecisionFields, Municipality, Organisation

from .choices import (
    DEADLINE_LEVEL_OF_KIND,
    FORECAST_PERIODS,
    LOCKED_STATUSES,
    PERIOD_END_MONTH,
    SCALE,
    SHORT_NAMES,
    WRITABLE_STATUSES,
    ActionStatus,
    Assessment,
    ControlOutcome,
    DeadlineLevel,
    EventKind,
    Frequency,
    PeriodKind,
    PlanStatus,
    ReminderKind,
    ReportStatus,
    risk_band,
)

YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]
# The levels where an åtgärdsplan is drawn up (förvaltningen) and decided (nämnden, styrelsen) (004).
ACTION_PLAN_LEVELS = (DeadlineLevel.ADMINISTRATION, DeadlineLevel.COMMITTEE, DeadlineLevel.EXECUTIVE_BOARD)
SCALE_VALIDATORS = [MinValueValidator(SCALE[0]), MaxValueValidator(SCALE[-1])]


class ReportingPeriod(BaseModel):
    """One of the three follow-ups of a year in a municipality, open for reporting or closed."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="reporting_periods", verbose_name=_("kommun")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    kind = models.CharField(_("uppföljning"), max_length=2, choices=PeriodKind.choices)
    is_open = models.BooleanField(_("öppen för rapportering"), default=False)
    deviation_threshold_percent = models.DecimalField(
        _("gräns för avvikelseanalys (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(0)],
        help_text=_("En avvikelse större än så här stor andel av budgeten kräver en avvikelseanalys."),
    )
    deviation_threshold_amount = models.BigIntegerField(
        _("gräns för avvikelseanalys (kr)"),
        blank=True,
        null=True,
        validators=[MinValueValidator(0)],
        help_text=_("En avvikelse större än detta belopp kräver också en avvikelseanalys. Tomt: bara andelen gäller."),
    )

    organisation_path = None
    municipality_path = "municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("municipality", "-year", "kind")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "year", "kind"),
                name="%(app_label)s_%(class)s_unique_kind",
                violation_error_message=_("Kommunen har redan den uppföljningen för året."),
            ),
        )
        verbose_name = _("uppföljningsperiod")
        verbose_name_plural = _("uppföljningsperioder")

    def __str__(self):
        return f"{self.short_name} {self.year}"

    def get_absolute_url(self):
        return reverse("followup:period", args=[self.pk])

    @property
    def short_name(self):
        return SHORT_NAMES[self.kind]

    @property
    def title(self):
        """ "Budgetuppföljning 2026 (januari–april)"."""
        return f"{self.get_kind_display()} {self.year}"

    @property
    def has_forecast(self):
        return self.kind in FORECAST_PERIODS

    @property
    def end_date(self):
        month = PERIOD_END_MONTH[self.kind]
        return datetime.date(self.year, month, calendar_module.monthrange(self.year, month)[1])

    @property
    def start_date(self):
        return datetime.date(self.year, 1, 1)


class ReportingDeadline(BaseModel):
    """When the reports of one level are due in a period."""

    period = models.ForeignKey(
        to=ReportingPeriod, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("period")
    )
    level = models.CharField(_("nivå"), max_length=20, choices=DeadlineLevel.choices)
    date = models.DateField(_("sista dag"))

    organisation_path = None
    municipality_path = "period__municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("period", "date")
        constraints = (
            models.UniqueConstraint(
                fields=("period", "level"),
                name="%(app_label)s_%(class)s_unique_level",
                violation_error_message=_("Perioden har redan en sista dag för den nivån."),
            ),
        )
        verbose_name = _("sista dag")
        verbose_name_plural = _("sista dagar")

    def __str__(self):
        return f"{self.period}: {self.get_level_display()} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return self.period.get_absolute_url()


class FollowUpReport(BaseModel, DecisionFields):
    """An organisation's report for one period: goals, indicators, assignments, economy and internal control."""

    period = models.ForeignKey(
        to=ReportingPeriod, on_delete=models.PROTECT, related_name="reports", verbose_name=_("period")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="followup_reports", verbose_name=_("organisation")
    )
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    summary = models.TextField(
        _("sammanfattning"), blank=True, help_text=_("Periodens viktigaste händelser och slutsatser.")
    )
    # The economy, in kronor. The budget is filled from the decided frame where the organisation has one.
    budget = models.BigIntegerField(_("budget för året (kr)"), blank=True, null=True)
    outcome_to_date = models.BigIntegerField(_("utfall hittills (kr)"), blank=True, null=True)
    forecast = models.BigIntegerField(
        _("prognos för helåret (kr)"), blank=True, null=True, help_text=_("Vid årsredovisningen: årets utfall.")
    )
    deviation_analysis = models.TextField(
        _("avvikelseanalys"),
        blank=True,
        help_text=_("Orsaker till avvikelsen, även en positiv, och vad som görs åt den."),
    )
    within_delegation = models.BooleanField(
        _("kan avvikelsen hanteras inom delegation?"),
        blank=True,
        null=True,
        help_text=_("Nej: en åtgärdsplan upprättas och beslutas av nämnden med rapporten."),
    )
    submitted_at = models.DateTimeField(_("inskickad"), blank=True, null=True, editable=False)
    submitted_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("inskickad av"),
    )
    approved_at = models.DateTimeField(_("godkänd"), blank=True, null=True, editable=False)
    approved_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("godkänd av"),
    )

    # Sent in or approved: nobody writes in it (a returned report is written again; an approved one is reopened).
    lock_path = "status"
    locked_statuses = LOCKED_STATUSES
    lock_applies_to_admins = True

    class Meta:
        ordering = ("period", "organisation__tree_id", "organisation__lft")
        constraints = (
            models.UniqueConstraint(
                fields=("period", "organisation"),
                name="%(app_label)s_%(class)s_unique_organisation",
                violation_error_message=_("Organisationen har redan en rapport för perioden."),
            ),
        )
        verbose_name = _("uppföljningsrapport")
        verbose_name_plural = _("uppföljningsrapporter")

    def __str__(self):
        return f"{self.period} {self.organisation.label}"

    def get_absolute_url(self):
        return reverse("followup:report", args=[self.pk])

    @property
    def level(self):
        return DEADLINE_LEVEL_OF_KIND[self.organisation.kind]

    @property
    def is_writable(self):
        return self.status in WRITABLE_STATUSES

    @property
    def is_approved(self):
        return self.status == ReportStatus.APPROVED

    @property
    def result_figure(self):
        """The full-year figure the deviation is measured on: the forecast (T1, T2) or the year's outcome (T3)."""
        return self.forecast if self.period.has_forecast else (self.forecast or self.outcome_to_date)

    @property
    def deviation(self):
        """Budget minus the full-year figure: positive is a surplus (överskott), negative a deficit. None if unknown."""
        figure = self.result_figure
        if self.budget is None or figure is None:
            return None
        return self.budget - figure

    def deviation_passes_threshold(self):
        """True if the deviation, positive or negative, is larger than the period's threshold (004: analyse both)."""
        deviation = self.deviation
        if deviation is None:
            return False
        size = abs(deviation)
        period = self.period
        if period.deviation_threshold_amount is not None and size > period.deviation_threshold_amount:
            return True
        if self.budget:
            return Decimal(size) * 100 > abs(self.budget) * period.deviation_threshold_percent
        return size > 0

    def needs_action_plan(self):
        """004: at T1 and T2 a deficit that cannot be handled within the förvaltning's delegation needs an
        åtgärdsplan, drawn up by the förvaltning and decided by the nämnd (or styrelse) with the report."""
        return (
            self.period.has_forecast
            and self.level in ACTION_PLAN_LEVELS
            and self.deviation is not None
            and self.deviation < 0
            and self.deviation_passes_threshold()
            and self.within_delegation is False
        )


class ReportEvent(models.Model):
    """A step of a report's workflow, with who took it and the comment or reason; never edited."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="events", verbose_name=_("rapport")
    )
    kind = models.CharField(_("händelse"), max_length=20, choices=EventKind.choices)
    user = models.ForeignKey(
        to=settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, blank=True, null=True, verbose_name=_("av")
    )
    comment = models.TextField(_("kommentar"), blank=True)
    created = models.DateTimeField(_("tidpunkt"), default=timezone.now)

    class Meta:
        ordering = ("report", "created", "pk")
        verbose_name = _("rapporthändelse")
        verbose_name_plural = _("rapporthändelser")

    def __str__(self):
        return f"{self.get_kind_display()} {self.created:%Y-%m-%d %H:%M}"


class ReportItem(BaseModel):
    """Abstract base of what a report holds (each names its `report` link): locked with the report."""

    organisation_path = "report__organisation"
    lock_path = "report__status"
    locked_statuses = LOCKED_STATUSES
    lock_applies_to_admins = True

    class Meta:
        abstract = True

    def get_absolute_url(self):
        return self.report.get_absolute_url()


class GoalAssessment(ReportItem):
    """The report's assessment of one goal of the organisation's plan, with a year-end forecast and an analysis."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("rapport")
    )
    goal = models.ForeignKey(
        to="goals.Goal", on_delete=models.CASCADE, related_name="assessments", verbose_name=_("mål")
    )
    assessment = models.CharField(_("bedömning"), max_length=20, choices=Assessment.choices, blank=True)
    forecast = models.CharField(_("prognos för helåret"), max_length=20, choices=Assessment.choices, blank=True)
    analysis = models.TextField(_("analys"), blank=True)
    justification = models.TextField(
        _("motivering"),
        blank=True,
        help_text=_("Krävs när bedömningen avviker från den föreslagna sammanvägningen."),
    )

    class Meta:
        ordering = ("report", "goal__tree_id", "goal__lft")
        constraints = (
            models.UniqueConstraint(
                fields=("report", "goal"),
                name="%(app_label)s_%(class)s_unique_goal",
                violation_error_message=_("Rapporten har redan en bedömning av målet."),
            ),
        )
        verbose_name = _("målbedömning")
        verbose_name_plural = _("målbedömningar")

    def __str__(self):
        return f"{self.goal}: {self.get_assessment_display() or '–'}"


class AssignmentFollowUp(ReportItem):
    """The status of an assignment the organisation leads, as reported this period, with a comment."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="assignment_items", verbose_name=_("rapport")
    )
    assignment = models.ForeignKey(
        to="assignments.Assignment", on_delete=models.CASCADE, related_name="followups", verbose_name=_("uppdrag")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        blank=True,
        choices=[(status.value, status.label) for status in REPORTED_STATUSES],
    )
    comment = models.TextField(_("kommentar"), blank=True)

    class Meta:
        ordering = ("report", "assignment__code")
        constraints = (
            models.UniqueConstraint(
                fields=("report", "assignment"),
                name="%(app_label)s_%(class)s_unique_assignment",
                violation_error_message=_("Rapporten har redan en rad för uppdraget."),
            ),
        )
        verbose_name = _("uppdragsuppföljning")
        verbose_name_plural = _("uppdragsuppföljningar")

    def __str__(self):
        return f"{self.assignment.code}: {self.get_status_display() or '–'}"


class ActionPlan(ReportItem):
    """A measure of the report's åtgärdsplan (004: for deviations that cannot be handled within delegation)."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="actions", verbose_name=_("rapport")
    )
    measure = models.TextField(_("åtgärd"))
    responsible = models.CharField(_("ansvarig"), max_length=200)
    due_date = models.DateField(_("klart senast"))
    effect = models.BigIntegerField(
        _("beräknad effekt (kr)"), blank=True, null=True, help_text=_("Hur mycket åtgärden förbättrar prognosen.")
    )
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED)

    class Meta:
        ordering = ("report", "due_date", "pk")
        verbose_name = _("åtgärd")
        verbose_name_plural = _("åtgärdsplan")

    def __str__(self):
        return self.measure[:80]


class ReportComment(models.Model):
    """A comment on a report, in threads; seen by the organisation's editors and reviewers (and those above)."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="comments", verbose_name=_("rapport")
    )
    parent = models.ForeignKey(
        to="self", on_delete=models.CASCADE, blank=True, null=True, related_name="replies", verbose_name=_("svar på")
    )
    author = models.ForeignKey(
        to=settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("av")
    )
    text = models.TextField(_("kommentar"))
    created = models.DateTimeField(_("skriven"), default=timezone.now)

    class Meta:
        ordering = ("report", "created", "pk")
        verbose_name = _("kommentar")
        verbose_name_plural = _("kommentarer")

    def __str__(self):
        return self.text[:80]


class ReminderLog(models.Model):
    """A reminder that was sent about a report, so each kind goes out once."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("rapport")
    )
    kind = models.CharField(_("påminnelse"), max_length=20, choices=ReminderKind.choices)
    recipients = models.TextField(_("mottagare"), blank=True)
    sent = models.DateTimeField(_("skickad"), default=timezone.now)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("report", "kind"), name="%(app_label)s_%(class)s_unique_kind"),)
        verbose_name = _("påminnelse")
        verbose_name_plural = _("påminnelser")

    def __str__(self):
        return f"{self.report}: {self.get_kind_display()}"


class InternalControlPlan(BaseModel, DecisionFields):
    """An organisation's internal control plan for a year (004: decided yearly from a risk- och väsentlighetsanalys)."""

    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="control_plans", verbose_name=_("organisation")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    description = models.TextField(_("inledning"), blank=True)

    lock_path = "status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class Meta:
        ordering = ("organisation__tree_id", "organisation__lft", "-year")
        constraints = (
            models.UniqueConstraint(
                fields=("organisation", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Organisationen har redan en intern kontrollplan för året."),
            ),
        )
        verbose_name = _("intern kontrollplan")
        verbose_name_plural = _("interna kontrollplaner")

    def __str__(self):
        return _("Intern kontrollplan %(year)s %(organisation)s") % {
            "year": self.year,
            "organisation": self.organisation.label,
        }

    def get_absolute_url(self):
        return reverse("followup:control_plan", args=[self.pk])

    @property
    def is_adopted(self):
        return self.status == PlanStatus.ADOPTED

    def clean(self):
        super().clean()
        if self.status == PlanStatus.ADOPTED and not (self.decided_on and self.decided_by_id):
            raise ValidationError(
                {"decided_on": _("En beslutad plan behöver ett beslut: ange beslutande organ och beslutsdatum.")}
            )


class Risk(BaseModel):
    """A risk in a process or routine, scored probability × consequence (1–4 each)."""

    plan = models.ForeignKey(
        to=InternalControlPlan, on_delete=models.CASCADE, related_name="risks", verbose_name=_("kontrollplan")
    )
    process = models.CharField(_("process eller rutin"), max_length=200)
    description = models.TextField(_("vad kan gå fel"))
    probability = models.PositiveSmallIntegerField(_("sannolikhet (1–4)"), validators=SCALE_VALIDATORS)
    consequence = models.PositiveSmallIntegerField(_("konsekvens (1–4)"), validators=SCALE_VALIDATORS)
    in_plan = models.BooleanField(
        _("ingår i kontrollplanen"), default=True, help_text=_("Risker som inte väljs följs inte upp med en kontroll.")
    )

    organisation_path = "plan__organisation"
    lock_path = "plan__status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class Meta:
        ordering = ("plan", "pk")
        verbose_name = _("risk")
        verbose_name_plural = _("risker")

    def __str__(self):
        return f"{self.process}: {self.description[:60]}"

    def get_absolute_url(self):
        return self.plan.get_absolute_url()

    @property
    def value(self):
        """The risk value: probability × consequence (1–16)."""
        return self.probability * self.consequence

    @property
    def band(self):
        return risk_band(self.value)


class Control(BaseModel):
    """The control of a risk chosen for the plan: how, by whom, how often and in which tertials it is reported."""

    risk = models.ForeignKey(to=Risk, on_delete=models.CASCADE, related_name="controls", verbose_name=_("risk"))
    method = models.TextField(_("kontrollmoment"), help_text=_("Hur kontrollen görs, till exempel stickprov."))
    responsible = models.CharField(_("ansvarig"), max_length=200)
    frequency = models.CharField(_("frekvens"), max_length=20, choices=Frequency.choices, default=Frequency.TERTIAL)
    report_t1 = models.BooleanField(_("rapporteras i T1"), default=True)
    report_t2 = models.BooleanField(_("rapporteras i T2"), default=True)
    report_t3 = models.BooleanField(_("rapporteras i T3"), default=True)

    organisation_path = "risk__plan__organisation"
    lock_path = "risk__plan__status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class Meta:
        ordering = ("risk", "pk")
        verbose_name = _("kontroll")
        verbose_name_plural = _("kontroller")

    def __str__(self):
        return self.method[:80]

    def get_absolute_url(self):
        return self.risk.plan.get_absolute_url()

    def reported_in(self, kind):
        return getattr(self, f"report_{kind}")

    @property
    def tertials_display(self):
        return ", ".join(SHORT_NAMES[k] for k in PeriodKind if self.reported_in(k)) or "–"

    def clean(self):
        super().clean()
        if not (self.report_t1 or self.report_t2 or self.report_t3):
            raise ValidationError({"report_t1": _("Välj minst en tertial då kontrollen rapporteras.")})


class ControlResult(ReportItem):
    """What a control found in a period; a deviation is followed up in the next report (`follows_up`)."""

    report = models.ForeignKey(
        to=FollowUpReport, on_delete=models.CASCADE, related_name="control_results", verbose_name=_("rapport")
    )
    control = models.ForeignKey(
        to=Control, on_delete=models.CASCADE, related_name="results", verbose_name=_("kontroll")
    )
    outcome = models.CharField(_("resultat"), max_length=20, choices=ControlOutcome.choices, blank=True)
    findings = models.TextField(_("iakttagelser"), blank=True)
    measures = models.TextField(_("åtgärder"), blank=True)
    follows_up = models.ForeignKey(
        to="self",
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="followed_up_by",
        verbose_name=_("följer upp avvikelse från"),
    )

    class Meta:
        ordering = ("report", "control__risk__pk", "control__pk")
        constraints = (
            models.UniqueConstraint(
                fields=("report", "control"),
                name="%(app_label)s_%(class)s_unique_control",
                violation_error_message=_("Rapporten har redan ett resultat för kontrollen."),
            ),
        )
        verbose_name = _("kontrollresultat")
        verbose_name_plural = _("kontrollresultat")

    def __str__(self):
        return f"{self.control}: {self.get_outcome_display() or '–'}"

    @property
    def has_deviation(self):
        return self.outcome in (ControlOutcome.DONE_DEVIATION, ControlOutcome.NOT_DONE)
