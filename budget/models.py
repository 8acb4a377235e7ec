"""
Budget med plan (004 "Budget"): per municipality and year a budget for the budget year and the two plan years after
it, versioned as decisions (rambudget in June, a complementary decision in November of election years), with frames
(ramar) per organisation and year, adjustments to the frames, and the planning prerequisites (skatteintäkter,
finansnetto, resultatmål) from which the result, the financial goal and the balanskrav follow.

Money that comes with an assignment is entered once, on the assignment (assignments.AssignmentAmount); the budget
reads it as adjustments of the receiver's frame (budget.selectors) and never copies it.

The budget process calendar (årshjul) holds the steps of the process with dates, responsible bodies and status.
"""

import calendar as calendar_module
import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from styrning.choices import Role
from styrning.models import BaseModel, DecisionFields, Municipality, Organisation

from .choices import (
    DECIDING_ORGANISATION_KINDS,
    FRAME_ORGANISATION_KINDS,
    PLAN_YEARS,
    DecisionKind,
    DecisionStatus,
    MilestoneKind,
    MilestoneStatus,
)

YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]

# Swedish general elections (riksdagsval): every third year from 1970 to 1994, every fourth year since.
_FOUR_YEAR_CYCLE_FROM = 1994


def is_election_year(year):
    """True if Sweden holds a general election in `year` (…, 2018, 2022, 2026, 2030, …)."""
    if year >= _FOUR_YEAR_CYCLE_FROM:
        return (year - _FOUR_YEAR_CYCLE_FROM) % 4 == 0
    return year >= 1970 and (year - 1970) % 3 == 0


LOCKED_MESSAGE = _(
    "Budgetbeslutet är fattat och kan inte längre ändras. Gör ändringen i en ny version av budgetbeslutet."
)


class Budget(BaseModel):
    """A municipality's Budget med plan: the budget year and the two plan years after it (004)."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="budgets", verbose_name=_("kommun")
    )
    year = models.PositiveSmallIntegerField(_("budgetår"), validators=YEAR_VALIDATORS)
    title = models.CharField(
        _("rubrik"), max_length=200, blank=True, help_text=_("Tomt: Budget <år> med plan <år+1>–<år+2>.")
    )
    description = models.TextField(_("inledning"), blank=True)

    organisation_path = None
    municipality_path = "municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("municipality", "-year")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Kommunen har redan en budget för det året."),
            ),
        )
        verbose_name = _("budget")
        verbose_name_plural = _("budgetar")

    def __str__(self):
        return self.title or self.default_title

    def get_absolute_url(self):
        return reverse("budget:budget", args=[self.pk])

    @property
    def default_title(self):
        return _("Budget %(year)s med plan %(first)s–%(last)s") % {
            "year": self.year,
            "first": self.year + 1,
            "last": self.year + PLAN_YEARS,
        }

    @property
    def years(self):
        """The budget year and the plan years, in order."""
        return [self.year + offset for offset in range(PLAN_YEARS + 1)]

    def covers(self, year):
        return self.year <= year <= self.year + PLAN_YEARS


class BudgetDecision(BaseModel, DecisionFields):
    """
    A version of a budget: the frames as one decision set them (rambudget in June, a complementary decision in
    November of election years, or another decision). A draft is prepared, then decided; a decided version is never
    changed, not even by administrators: a change to a decided budget is a new version (budget_decision_new_version).
    """

    budget = models.ForeignKey(to=Budget, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("budget"))
    number = models.PositiveSmallIntegerField(_("version"), editable=False)
    kind = models.CharField(_("typ av beslut"), max_length=20, choices=DecisionKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=DecisionStatus.choices, default=DecisionStatus.DRAFT, editable=False
    )
    title = models.CharField(_("rubrik"), max_length=200, blank=True, help_text=_("Tomt: beslutets typ."))
    description = models.TextField(_("kommentar"), blank=True)
    previous = models.ForeignKey(
        to="self",
        on_delete=models.SET_NULL,
        related_name="next_versions",
        blank=True,
        null=True,
        editable=False,
        verbose_name=_("föregående version"),
    )

    organisation_path = None
    municipality_path = "budget__municipality"
    change_roles = (Role.ADMIN,)
    lock_path = "status"
    locked_statuses = (DecisionStatus.DECIDED,)
    lock_applies_to_admins = True

    class Meta:
        ordering = ("budget", "number")
        constraints = (
            models.UniqueConstraint(
                fields=("budget", "number"),
                name="%(app_label)s_%(class)s_unique_number",
                violation_error_message=_("Budgeten har redan ett beslut med det versionsnumret."),
            ),
        )
        verbose_name = _("budgetbeslut")
        verbose_name_plural = _("budgetbeslut")

    def __str__(self):
        return _("%(label)s, version %(number)s") % {"label": self.label, "number": self.number}

    def get_absolute_url(self):
        return f"{reverse('budget:budget', args=[self.budget_id])}?version={self.number}"

    @property
    def label(self):
        return self.title or self.get_kind_display()

    @property
    def is_decided(self):
        return self.status == DecisionStatus.DECIDED

    def clean(self):
        super().clean()
        errors = {}
        if self.status == DecisionStatus.DECIDED and not (self.decided_on and self.decided_by_id):
            errors["decided_on"] = _("Ett fattat beslut behöver beslutande organ och beslutsdatum.")
        if self.budget_id:
            budget = self.budget
            if self.decided_by_id and self.decided_by.municipality_id != budget.municipality_id:
                errors["decided_by"] = _("Det beslutande organet tillhör en annan kommun.")
            elif self.decided_by_id and self.decided_by.kind not in DECIDING_ORGANISATION_KINDS:
                errors["decided_by"] = _("Budgeten beslutas av kommunfullmäktige eller kommunstyrelsen.")
            if self.kind == DecisionKind.COMPLEMENTARY and not is_election_year(budget.year - 1):
                errors["kind"] = _(
                    "Kompletterande beslut om budgetramar tas i november de år riksdagsval hålls, för budgeten "
                    "året efter valet. %(year)s är inte ett valår."
                ) % {"year": budget.year - 1}
        if errors:
            raise ValidationError(errors)


class Frame(BaseModel):
    """
    The frame (ram) of an organisation (KF, KS or a nämnd) for one year, as one budget decision sets it: the amount
    before adjustments. The frame in force is this amount plus the adjustments and the assignments' money.
    """

    decision = models.ForeignKey(
        to=BudgetDecision, on_delete=models.CASCADE, related_name="frames", verbose_name=_("budgetbeslut")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="budget_frames", verbose_name=_("organisation")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    amount = models.BigIntegerField(
        _("ram före justeringar (kr)"),
        help_text=_("Nettokostnadsramen i hela kronor; justeringar och uppdragens medel läggs till."),
    )
    comment = models.CharField(_("kommentar"), max_length=300, blank=True)

    organisation_path = None
    municipality_path = "decision__budget__municipality"
    change_roles = (Role.ADMIN,)
    lock_path = "decision__status"
    locked_statuses = (DecisionStatus.DECIDED,)
    lock_applies_to_admins = True

    class Meta:
        ordering = ("decision", "organisation__tree_id", "organisation__lft", "year")
        constraints = (
            models.UniqueConstraint(
                fields=("decision", "organisation", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Beslutet har redan en ram för organisationen och året."),
            ),
        )
        verbose_name = _("ram")
        verbose_name_plural = _("ramar")

    def __str__(self):
        """Reads `organisation`: select it with the frame."""
        return _("Ram %(organisation)s %(year)s") % {"organisation": self.organisation.label, "year": self.year}

    def get_absolute_url(self):
        """Reads `decision`: select it with the frame."""
        return self.decision.get_absolute_url()

    def clean(self):
        super().clean()
        errors = {}
        decision = self.decision if self.decision_id else None
        if decision is not None and decision.is_decided:
            raise ValidationError(LOCKED_MESSAGE)
        if decision is not None and self.year and not decision.budget.covers(self.year):
            errors["year"] = _("Året ligger utanför budgeten (%(first)s–%(last)s).") % {
                "first": decision.budget.year,
                "last": decision.budget.year + PLAN_YEARS,
            }
        if self.organisation_id:
            organisation = self.organisation
            if organisation.kind not in FRAME_ORGANISATION_KINDS:
                errors["organisation"] = _(
                    "Ramar ges till kommunfullmäktige, kommunstyrelsen och nämnderna, inte till en %(kind)s."
                ) % {"kind": organisation.get_kind_display().lower()}
            elif decision is not None and organisation.municipality_id != decision.budget.municipality_id:
                errors["organisation"] = _("Organisationen tillhör en annan kommun.")
        if errors:
            raise ValidationError(errors)


class FrameAdjustment(BaseModel):
    """
    An adjustment to a frame, with its reason (e.g. "Volymökning förskola"), optionally about an assignment. The
    money an assignment brings is not entered here but on the assignment (assignments.AssignmentAmount).
    """

    frame = models.ForeignKey(to=Frame, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("ram"))
    amount = models.BigIntegerField(_("belopp (kr)"), help_text=_("Positivt ökar ramen, negativt minskar den."))
    reason = models.CharField(_("skäl"), max_length=300)
    assignment = models.ForeignKey(
        to="assignments.Assignment",
        on_delete=models.PROTECT,
        related_name="budget_adjustments",
        blank=True,
        null=True,
        verbose_name=_("uppdrag"),
        help_text=_("Om justeringen hör till ett uppdrag utan att vara uppdragets egna medel."),
    )

    organisation_path = "frame__organisation"
    change_roles = (Role.EDITOR, Role.ADMIN)
    lock_path = "frame__decision__status"
    locked_statuses = (DecisionStatus.DECIDED,)
    lock_applies_to_admins = True

    class Meta:
        ordering = ("frame", "pk")
        constraints = (
            models.CheckConstraint(
                condition=~models.Q(amount=0),
                name="%(app_label)s_%(class)s_amount_not_zero",
                violation_error_message=_("Ange ett belopp skilt från noll."),
            ),
        )
        verbose_name = _("justering")
        verbose_name_plural = _("justeringar")

    def __str__(self):
        return self.reason

    def get_absolute_url(self):
        """Reads `frame` and its decision: select them with the adjustment."""
        return self.frame.get_absolute_url()

    def clean(self):
        super().clean()
        if self.frame_id:
            frame = self.frame
            if frame.decision.is_decided:
                raise ValidationError(LOCKED_MESSAGE)
            if self.assignment_id and self.assignment.municipality_id != frame.organisation.municipality_id:
                raise ValidationError({"assignment": _("Uppdraget tillhör en annan kommun.")})


class BudgetAssumptions(BaseModel):
    """
    The planning prerequisites (planeringsförutsättningar) of one year of a budget: the forecast of tax revenue and
    general state grants, the net financial items, the population and the municipality's result target.
    """

    budget = models.ForeignKey(
        to=Budget, on_delete=models.CASCADE, related_name="assumptions", verbose_name=_("budget")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    tax_revenue = models.BigIntegerField(
        _("skatteintäkter och generella statsbidrag (kr)"), help_text=_("Prognos i hela kronor.")
    )
    financial_items = models.BigIntegerField(
        _("finansnetto (kr)"), default=0, help_text=_("Finansiella intäkter minus finansiella kostnader.")
    )
    population = models.PositiveIntegerField(_("invånare"), blank=True, null=True)
    result_target_percent = models.DecimalField(
        _("resultatmål (%)"),
        max_digits=4,
        decimal_places=1,
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(20)],
        help_text=_("Resultatet i procent av skatteintäkter och generella statsbidrag; ofta 2 %."),
    )

    organisation_path = None
    municipality_path = "budget__municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("budget", "year")
        constraints = (
            models.UniqueConstraint(
                fields=("budget", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Budgeten har redan planeringsförutsättningar för året."),
            ),
            models.CheckConstraint(
                condition=models.Q(tax_revenue__gte=0),
                name="%(app_label)s_%(class)s_tax_revenue_not_negative",
                violation_error_message=_("Skatteintäkter och generella statsbidrag kan inte vara negativa."),
            ),
        )
        verbose_name = _("planeringsförutsättningar")
        verbose_name_plural = _("planeringsförutsättningar")

    def __str__(self):
        return _("Planeringsförutsättningar %(year)s") % {"year": self.year}

    def get_absolute_url(self):
        return reverse("budget:budget", args=[self.budget_id])

    def clean(self):
        super().clean()
        if self.budget_id and self.year and not self.budget.covers(self.year):
            raise ValidationError(
                {
                    "year": _("Året ligger utanför budgeten (%(first)s–%(last)s).")
                    % {"first": self.budget.year, "last": self.budget.year + PLAN_YEARS}
                }
            )


class Calendar(BaseModel):
    """The budget process of a municipality for one year as a calendar (årshjul) of milestones."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="budget_calendars", verbose_name=_("kommun")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    title = models.CharField(_("rubrik"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)

    organisation_path = None
    municipality_path = "municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("municipality", "-year")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Kommunen har redan ett årshjul för det året."),
            ),
        )
        verbose_name = _("årshjul")
        verbose_name_plural = _("årshjul")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """Reads `municipality`: select it with the calendar."""
        return reverse("budget:calendar", args=[self.municipality.slug, self.year])

    @property
    def is_election_year(self):
        return is_election_year(self.year)


class Milestone(BaseModel):
    """
    A step of the budget process (moment): when (a date, or a month when only the month is known), who (a responsible
    organisation and/or the body as written, "KSAU", "KS, KF"), what, and how far it has come. Late: the date (or the
    month) has passed and the step is not done.
    """

    calendar = models.ForeignKey(
        to=Calendar, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("årshjul")
    )
    kind = models.CharField(_("moment"), max_length=20, choices=MilestoneKind.choices, default=MilestoneKind.OTHER)
    date = models.DateField(_("datum"), help_text=_("När bara månaden är bestämd: ett datum i månaden."))
    month_only = models.BooleanField(_("bara månaden är bestämd"), default=False)
    timing = models.CharField(
        _("tidpunkt enligt underlaget"),
        max_length=300,
        blank=True,
        help_text=_("Som det står i tidsplanen, till exempel ”KS 6/2, KF 25/2”."),
    )
    body = models.CharField(_("organ"), max_length=100, blank=True, help_text=_("Till exempel KSAU, KS, KF."))
    responsible = models.ForeignKey(
        to=Organisation,
        on_delete=models.PROTECT,
        related_name="budget_milestones",
        blank=True,
        null=True,
        verbose_name=_("ansvarig organisation"),
    )
    description = models.TextField(_("beskrivning"))
    status = models.CharField(
        _("status"), max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    position = models.PositiveSmallIntegerField(_("ordning"), default=0, help_text=_("Ordning inom samma datum."))

    organisation_path = None
    municipality_path = "calendar__municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("calendar", "date", "position", "pk")
        verbose_name = _("moment")
        verbose_name_plural = _("moment")

    def __str__(self):
        return Truncator(self.description.split("\n", 1)[0]).chars(90)

    def get_absolute_url(self):
        """Reads `calendar` and its municipality: select them with the milestone."""
        return self.calendar.get_absolute_url()

    @property
    def due_date(self):
        """The day by which the step should be done: the date, or the last day of its month."""
        if self.month_only:
            last_day = calendar_module.monthrange(self.date.year, self.date.month)[1]
            return self.date.replace(day=last_day)
        return self.date

    def is_late_on(self, today):
        return self.status != MilestoneStatus.DONE and self.due_date < today

    @property
    def is_late(self):
        """The date (or the whole month) has passed and the step is not done."""
        return self.is_late_on(timezone.localdate())

    def clean(self):
        super().clean()
        errors = {}
        if self.date and self.month_only and self.date.day != 1:
            self.date = datetime.date(self.date.year, self.date.month, 1)
        if self.calendar_id:
            calendar = self.calendar
            if self.date and self.date.year != calendar.year:
                errors["date"] = _("Datumet ligger utanför årshjulets år (%(year)s).") % {"year": calendar.year}
            if self.responsible_id and self.responsible.municipality_id != calendar.municipality_id:
                errors["responsible"] = _("Organisationen tillhör en annan kommun.")
            if self.kind == MilestoneKind.COMPLEMENTARY and not calendar.is_election_year:
                errors["kind"] = _(
                    "Kompletterande beslut om budgetramar tas bara de år riksdagsval hålls; %(year)s är inte ett valår."
                ) % {"year": calendar.year}
        if errors:
            raise ValidationError(errors)
