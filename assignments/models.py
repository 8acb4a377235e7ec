"""
Assignments (uppdrag): what a body (KF, KS or a nämnd) tells one or more organisations to do in a decision, with
money and a deadline. Later decisions that change, extend or end an assignment are kept as events; status reports
from the receivers are kept as a series. Nothing is overwritten.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from styrning.models import BaseModel, DecisionFields, Municipality, Organisation

from .choices import CLOSED_STATUSES, AssignmentKind, AssignmentStatus, DecisionKind

YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]
GIVING_KINDS = ("council", "executive_board", "committee")


class Assignment(BaseModel):
    """An assignment (uppdrag) or a constraint (villkor, e.g. "hyresökningen högst 2,2 %") given in a decision."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("kommun")
    )
    given_by = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="assignments_given", verbose_name=_("givet av")
    )
    lead = models.ForeignKey(
        to=Organisation,
        on_delete=models.PROTECT,
        related_name="assignments_led",
        verbose_name=_("ansvarig organisation"),
        help_text=_("Den mottagare som leder arbetet."),
    )
    receivers = models.ManyToManyField(
        to=Organisation, related_name="assignments_received", verbose_name=_("mottagare")
    )
    code = models.CharField(_("kod"), max_length=30, help_text=_("Unik inom kommunen, till exempel KS-2023-1."))
    title = models.CharField(_("rubrik"), max_length=300)
    description = models.TextField(_("beskrivning"), blank=True)
    kind = models.CharField(_("typ"), max_length=20, choices=AssignmentKind.choices, default=AssignmentKind.ASSIGNMENT)
    goals = models.ManyToManyField(
        to="goals.Goal", related_name="assignments", blank=True, verbose_name=_("mål som uppdraget bidrar till")
    )
    start_year = models.PositiveSmallIntegerField(_("budgetår"), validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(
        _("sista år"), blank=True, null=True, validators=YEAR_VALIDATORS, help_text=_("Tomt för ettåriga uppdrag.")
    )
    due_date = models.DateField(_("ska vara klart"), blank=True, null=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.NOT_STARTED
    )
    closed_on = models.DateField(_("avslutat den"), blank=True, null=True, editable=False)

    # Decisions about the assignment belong to the body that gave it.
    organisation_path = "given_by"

    class Meta:
        ordering = ("municipality", "-start_year", "code")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "code"),
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message=_("Det finns redan ett uppdrag med den koden i kommunen."),
            ),
        )
        verbose_name = _("uppdrag")
        verbose_name_plural = _("uppdrag")

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("assignments:assignment", args=[self.pk])

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES

    @property
    def is_overdue(self):
        """Past its due date and not finished."""
        return bool(self.due_date and self.due_date < timezone.localdate() and not self.is_closed)

    @property
    def last_year(self):
        return self.end_year or self.start_year

    def clean(self):
        super().clean()
        errors = {}
        if self.given_by_id and self.given_by.kind not in GIVING_KINDS:
            errors["given_by"] = _("Uppdrag ges av kommunfullmäktige, kommunstyrelsen eller en nämnd.")
        for field in ("given_by", "lead"):
            org = getattr(self, field) if getattr(self, f"{field}_id") else None
            if org is not None and self.municipality_id and org.municipality_id != self.municipality_id:
                errors[field] = _("Organisationen tillhör en annan kommun.")
        if self.end_year and self.start_year and self.end_year < self.start_year:
            errors["end_year"] = _("Sista år kan inte ligga före budgetåret.")
        if self.due_date and self.start_year and self.due_date.year < self.start_year:
            errors["due_date"] = _("Slutdatumet kan inte ligga före budgetåret.")
        if errors:
            raise ValidationError(errors)


class AssignmentAmount(BaseModel):
    """Money that comes with an assignment: a sum for one receiver and one year ("KS tillförs 2 mkr")."""

    assignment = models.ForeignKey(
        to=Assignment, on_delete=models.CASCADE, related_name="amounts", verbose_name=_("uppdrag")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="assignment_amounts", verbose_name=_("tillförs")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    amount = models.BigIntegerField(_("belopp (kr)"))
    comment = models.CharField(_("kommentar"), max_length=200, blank=True)

    organisation_path = "assignment__given_by"

    class Meta:
        ordering = ("assignment", "year", "organisation")
        constraints = (
            models.UniqueConstraint(
                fields=("assignment", "organisation", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Uppdraget har redan ett belopp för den organisationen och året."),
            ),
        )
        verbose_name = _("belopp")
        verbose_name_plural = _("belopp")

    def __str__(self):
        from styrning.money import format_money

        return f"{self.organisation.label} {self.year}: {format_money(self.amount)}"

    def get_absolute_url(self):
        return self.assignment.get_absolute_url()


class AssignmentDecision(BaseModel, DecisionFields):
    """A decision about an assignment (given, changed, extended, ended), with what it changed; never edited."""

    assignment = models.ForeignKey(
        to=Assignment, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("uppdrag")
    )
    kind = models.CharField(_("beslut"), max_length=20, choices=DecisionKind.choices)
    budget_year = models.PositiveSmallIntegerField(_("budgetår"), validators=YEAR_VALIDATORS)
    changes = models.JSONField(_("ändringar"), default=list, blank=True)
    comment = models.TextField(_("kommentar"), blank=True)

    organisation_path = "assignment__given_by"

    class Meta:
        ordering = ("assignment", "decided_on", "created")
        verbose_name = _("uppdragsbeslut")
        verbose_name_plural = _("uppdragsbeslut")

    def __str__(self):
        return f"{self.get_kind_display()} {self.decision_display}"

    def get_absolute_url(self):
        return self.assignment.get_absolute_url()


class AssignmentStatusUpdate(BaseModel):
    """A receiver's report on the assignment's status, with a comment (the tertial follow-up will ask for these)."""

    assignment = models.ForeignKey(
        to=Assignment, on_delete=models.CASCADE, related_name="status_updates", verbose_name=_("uppdrag")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="assignment_reports", verbose_name=_("rapporterat av")
    )
    status = models.CharField(_("status"), max_length=20, choices=AssignmentStatus.choices)
    comment = models.TextField(_("kommentar"))

    class Meta:
        ordering = ("assignment", "-created")
        verbose_name = _("statusrapport")
        verbose_name_plural = _("statusrapporter")

    def __str__(self):
        return f"{self.get_status_display()} ({self.organisation.label})"

    def get_absolute_url(self):
        return self.assignment.get_absolute_url()
