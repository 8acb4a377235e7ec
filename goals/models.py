"""
The goal chain (målkedja): vision and värdegrund, plans, the goal tree with its activities,
indicators with targets and outcomes, and Agenda 2030 as reference data.
"""

import simple_history
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from styrning.choices import Role
from styrning.models import BaseModel, DecisionFields, MandatePeriod, Municipality, Organisation, TrackedModel

from .choices import (
    KINDS_FOR_LEVEL,
    LEVEL_FOR_ORGANISATION,
    PLAN_KIND_FOR_ORGANISATION,
    ActivityStatus,
    Direction,
    GoalKind,
    GoalLevel,
    OutcomePeriod,
    Perspective,
    PlanKind,
    PlanStatus,
)

YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]


class SdgGoal(models.Model):
    """One of the 17 Agenda 2030 goals (public reference data, shared by all municipalities)."""

    number = models.PositiveSmallIntegerField(_("nummer"), unique=True)
    name = models.CharField(_("namn"), max_length=100)
    color = models.CharField(_("färg"), max_length=7)

    class Meta:
        ordering = ("number",)
        verbose_name = _("Agenda 2030-mål")
        verbose_name_plural = _("Agenda 2030-mål")

    def __str__(self):
        return f"{self.number}. {self.name}"

    def get_absolute_url(self):
        return reverse("goals:sdg", args=[self.number])


class SdgTarget(models.Model):
    """One of the 169 Agenda 2030 targets (delmål), with its UN code such as 11.2 or 4.a."""

    goal = models.ForeignKey(
        to=SdgGoal, on_delete=models.CASCADE, related_name="targets", verbose_name=_("Agenda 2030-mål")
    )
    code = models.CharField(_("kod"), max_length=6, unique=True)
    title = models.TextField(_("lydelse"))
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)

    class Meta:
        ordering = ("goal__number", "position")
        verbose_name = _("Agenda 2030-delmål")
        verbose_name_plural = _("Agenda 2030-delmål")

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("goals:sdg", args=[self.goal.number])


class Value(BaseModel):
    """One word of the municipality's värdegrund, e.g. Vimmerby's ansvar, mod and fantasi."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.CASCADE, related_name="values", verbose_name=_("kommun")
    )
    name = models.CharField(_("värdeord"), max_length=100)
    description = models.TextField(_("beskrivning"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)

    organisation_path = None
    municipality_path = "municipality"
    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("municipality", "position", "name")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "name"),
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("Värdeordet finns redan i kommunens värdegrund."),
            ),
        )
        verbose_name = _("värdeord")
        verbose_name_plural = _("värdegrund")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:house", args=[self.municipality.slug])


class Plan(BaseModel, DecisionFields):
    """
    The container of an organisation's goals for a year or a mandate period: strategisk plan (KF), nämndplan,
    affärsplan (bolag), verksamhetsplan (förvaltning) or enhetsplan (enhet). Adopted plans are read-only for editors.
    """

    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="plans", verbose_name=_("organisation")
    )
    kind = models.CharField(_("typ"), max_length=20, choices=PlanKind.choices)
    year = models.PositiveSmallIntegerField(_("år"), blank=True, null=True, validators=YEAR_VALIDATORS)
    mandate_period = models.ForeignKey(
        to=MandatePeriod,
        on_delete=models.PROTECT,
        related_name="plans",
        blank=True,
        null=True,
        verbose_name=_("mandatperiod"),
    )
    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(_("inledning"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)

    lock_path = "status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class Meta:
        ordering = ("organisation__tree_id", "organisation__lft", "-year")
        constraints = (
            models.UniqueConstraint(
                fields=("organisation", "kind", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Organisationen har redan en plan av den typen för året."),
            ),
            models.UniqueConstraint(
                fields=("organisation", "kind", "mandate_period"),
                name="%(app_label)s_%(class)s_unique_period",
                violation_error_message=_("Organisationen har redan en plan av den typen för mandatperioden."),
            ),
        )
        verbose_name = _("plan")
        verbose_name_plural = _("planer")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("goals:plan", args=[self.pk])

    @property
    def is_adopted(self):
        return self.status == PlanStatus.ADOPTED

    @property
    def period_label(self):
        """The year, or the mandate period; reads `mandate_period` (select it with the plan)."""
        return str(self.year) if self.year else str(self.mandate_period)

    def covers(self, year):
        """True if the plan applies to `year`. Reads `mandate_period`."""
        return self.year == year if self.year else year in self.mandate_period

    def clean(self):
        super().clean()
        if bool(self.year) == bool(self.mandate_period_id):
            raise ValidationError({"year": _("Ange antingen ett år eller en mandatperiod för planen, inte båda.")})
        if self.organisation_id and self.kind:
            expected = PLAN_KIND_FOR_ORGANISATION[self.organisation.kind]
            if self.kind != expected:
                raise ValidationError(
                    {
                        "kind": _("En %(org_kind)s har en %(plan_kind)s.")
                        % {
                            "org_kind": self.organisation.get_kind_display().lower(),
                            "plan_kind": expected.label.lower(),
                        }
                    }
                )
            if self.mandate_period_id and self.mandate_period.municipality_id != self.organisation.municipality_id:
                raise ValidationError({"mandate_period": _("Mandatperioden tillhör en annan kommun.")})
        if self.status == PlanStatus.ADOPTED and not (self.decided_on and self.decided_by_id):
            raise ValidationError(
                {"decided_on": _("En fastställd plan behöver ett beslut: ange beslutande organ och beslutsdatum.")}
            )


class Goal(TrackedModel, MPTTModel):
    """
    A node of the municipality's goal tree: the vision at the root, then KF's övergripande mål, nämndmål and
    bolagsmål, verksamhetsmål and enhetsmål, with activities as leaves. Children refine their parent.
    """

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="goals", verbose_name=_("kommun")
    )
    parent = TreeForeignKey(
        to="self",
        on_delete=models.PROTECT,
        related_name="children",
        blank=True,
        null=True,
        verbose_name=_("överordnat mål"),
    )
    plan = models.ForeignKey(
        to=Plan, on_delete=models.PROTECT, related_name="goals", blank=True, null=True, verbose_name=_("plan")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="goals", verbose_name=_("organisation")
    )
    kind = models.CharField(_("typ"), max_length=20, choices=GoalKind.choices, default=GoalKind.GOAL)
    level = models.PositiveSmallIntegerField(_("nivå"), choices=GoalLevel.choices)
    code = models.CharField(
        _("kod"),
        max_length=30,
        validators=[
            RegexValidator(r"^[\w.\-]+$", _("Koden får bara innehålla bokstäver, siffror, punkt och bindestreck."))
        ],
        help_text=_("Unik inom kommunen, till exempel KF1, BUN2.1."),
    )
    title = models.CharField(_("rubrik"), max_length=300)
    description = models.TextField(_("beskrivning"), blank=True)
    perspective = models.CharField(
        _("perspektiv"), max_length=20, choices=Perspective.choices, blank=True, help_text=_("Styrkortets perspektiv.")
    )
    start_year = models.PositiveSmallIntegerField(_("från år"), blank=True, null=True, validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(_("till år"), blank=True, null=True, validators=YEAR_VALIDATORS)
    contributes_to = models.ManyToManyField(
        to="self",
        symmetrical=False,
        related_name="contributors",
        blank=True,
        verbose_name=_("bidrar även till"),
    )
    sdg_goals = models.ManyToManyField(to=SdgGoal, related_name="goals", blank=True, verbose_name=_("Agenda 2030-mål"))
    sdg_targets = models.ManyToManyField(
        to=SdgTarget, related_name="goals", blank=True, verbose_name=_("Agenda 2030-delmål")
    )
    child_rights = models.BooleanField(
        _("Barnkonventionen"), default=False, help_text=_("Målet bidrar till att förverkliga barnets rättigheter.")
    )
    documents = models.ManyToManyField(
        to="styrning.SteeringDocument", related_name="goals", blank=True, verbose_name=_("styrdokument")
    )
    # Activities only.
    responsible = models.CharField(_("ansvarig"), max_length=200, blank=True)
    start_date = models.DateField(_("startdatum"), blank=True, null=True)
    end_date = models.DateField(_("slutdatum"), blank=True, null=True)
    activity_status = models.CharField(_("status"), max_length=20, choices=ActivityStatus.choices, blank=True)

    lock_path = "plan__status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class MPTTMeta:
        order_insertion_by = ("code",)
        level_attr = "depth"

    class Meta:
        ordering = ("tree_id", "lft")
        # The goal chain opens at the top levels of one municipality's tree (goals.selectors.goal_tree).
        indexes = (models.Index(fields=("municipality", "depth"), name="goals_goal_municipality_depth"),)
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "code"),
                name="%(app_label)s_%(class)s_unique_municipality_code",
                violation_error_message=_("Koden finns redan i kommunens målkedja."),
            ),
        )
        verbose_name = _("mål")
        verbose_name_plural = _("mål")

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("goals:goal", args=[self.pk])

    @property
    def is_activity(self):
        return self.kind == GoalKind.ACTIVITY

    @property
    def is_vision(self):
        return self.kind == GoalKind.VISION

    def clean(self):
        """The tree rules: the chain runs downwards, within the parent's organisation, without cycles."""
        super().clean()
        errors = {}
        if self.kind and self.level is not None and self.kind not in KINDS_FOR_LEVEL[GoalLevel(self.level)]:
            errors["kind"] = _("En %(kind)s kan inte ligga på nivån %(level)s.") % {
                "kind": GoalKind(self.kind).label.lower(),
                "level": GoalLevel(self.level).label.lower(),
            }
        if self.organisation_id and self.level not in (None, GoalLevel.VISION):
            expected = LEVEL_FOR_ORGANISATION[self.organisation.kind]
            if self.level != expected:
                errors["level"] = _("Mål för en %(org_kind)s ligger på nivån %(level)s.") % {
                    "org_kind": self.organisation.get_kind_display().lower(),
                    "level": expected.label.lower(),
                }
        if self.organisation_id and self.municipality_id and self.organisation.municipality_id != self.municipality_id:
            errors["organisation"] = _("Organisationen tillhör en annan kommun.")
        if self.plan_id and self.organisation_id and self.plan.organisation_id != self.organisation_id:
            errors["plan"] = _("Planen tillhör en annan organisation än målet.")
        if self.kind != GoalKind.VISION and not self.plan_id:
            errors["plan"] = _("Välj den plan målet hör till.")
        errors.update(self._clean_parent())
        if self.level == GoalLevel.COMMITTEE and self.kind == GoalKind.GOAL and not self.perspective:
            errors["perspective"] = _("Nämnd- och bolagsmål ska ha ett av styrkortets fyra perspektiv.")
        if self.start_year and self.end_year:
            if self.end_year < self.start_year:
                errors["end_year"] = _("Slutåret kan inte ligga före startåret.")
            elif self.level == GoalLevel.MUNICIPAL and self.end_year - self.start_year > 3:
                errors["end_year"] = _("Fullmäktiges övergripande mål har en tidshorisont på 1–4 år.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("Slutdatumet kan inte ligga före startdatumet.")
        if self.kind != GoalKind.ACTIVITY and (
            self.responsible or self.start_date or self.end_date or self.activity_status
        ):
            errors["kind"] = _("Ansvarig, datum och status anges bara för aktiviteter.")
        if errors:
            raise ValidationError(errors)

    def _clean_parent(self):
        if self.kind == GoalKind.VISION:
            return {"parent": _("Visionen står överst i målkedjan.")} if self.parent_id else {}
        if not self.parent_id:
            return {"parent": _("Välj det överordnade mål som målet bidrar till.")}
        parent = self.parent
        if self.pk and (parent.pk == self.pk or (parent.tree_id == self.tree_id and self.lft < parent.lft < self.rght)):
            return {"parent": _("Ett mål kan inte ligga under sig självt eller något av sina undermål.")}
        if parent.municipality_id != self.municipality_id:
            return {"parent": _("Det överordnade målet tillhör en annan kommun.")}
        if parent.kind == GoalKind.ACTIVITY:
            return {"parent": _("En aktivitet kan inte ha undermål.")}
        if self.kind == GoalKind.ACTIVITY:
            if parent.kind == GoalKind.VISION or self.level < parent.level:
                return {"parent": _("En aktivitet hör till ett mål på samma eller en högre nivå.")}
        elif self.level is not None and (
            self.level < parent.level
            or (
                self.level == parent.level
                # A verksamhet's goal may refine its förvaltning's goal (both are verksamhetsmål).
                and not (
                    self.organisation_id
                    and parent.organisation.contains(self.organisation)
                    and parent.organisation_id != self.organisation_id
                )
            )
        ):
            return {
                "parent": _(
                    "Det överordnade målet ska ligga på en högre nivå eller tillhöra en överordnad "
                    "organisation (här: %(level)s, %(org)s)."
                )
                % {"level": GoalLevel(parent.level).label.lower(), "org": parent.organisation.label}
            }
        if self.organisation_id and not parent.organisation.contains(self.organisation):
            return {"organisation": _("Organisationen ska ligga inom det överordnade målets organisation.")}
        return {}


simple_history.register(Goal, excluded_fields=["lft", "rght", "tree_id", "depth"])


class Vision(Goal):
    """The root of a municipality's goal tree, shown as the vision."""

    class Meta:
        proxy = True
        verbose_name = _("vision")
        verbose_name_plural = _("visioner")


class Indicator(BaseModel):
    """A measure of a goal (1–3 per goal is the norm): unit, direction, baseline, targets per year, outcomes."""

    goal = models.ForeignKey(to=Goal, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("mål"))
    name = models.CharField(_("namn"), max_length=300)
    description = models.TextField(_("beskrivning"), blank=True)
    unit = models.CharField(_("enhet"), max_length=30, blank=True, help_text=_("Till exempel %, antal, kr/invånare."))
    direction = models.CharField(_("riktning"), max_length=10, choices=Direction.choices, default=Direction.INCREASE)
    baseline_value = models.DecimalField(_("utgångsvärde"), max_digits=14, decimal_places=2, blank=True, null=True)
    baseline_year = models.PositiveSmallIntegerField(_("utgångsår"), blank=True, null=True, validators=YEAR_VALIDATORS)
    kolada_id = models.CharField(
        _("Kolada-id"),
        max_length=10,
        blank=True,
        validators=[
            RegexValidator(r"^[NU]\d{5}$", _("Ett Kolada-id är N eller U följt av fem siffror, t.ex. N00914."))
        ],
    )
    source = models.CharField(_("källa"), max_length=200, blank=True)
    by_sex = models.BooleanField(_("uppdelat på kön"), default=False)
    tolerance_percent = models.DecimalField(
        _("marginal för gult (%)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Ett utfall inom så många procent av målvärdet visas som nära målet (gult)."),
    )

    organisation_path = "goal__organisation"
    lock_path = "goal__plan__status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class Meta:
        ordering = ("goal", "name")
        constraints = (
            # Spreadsheet rows and outcomes name an indicator by its goal and name, so the pair must be unique.
            models.UniqueConstraint(
                fields=("goal", "name"),
                name="goals_indicator_unique_goal_name",
                violation_error_message=_("Målet har redan en indikator med det namnet."),
            ),
        )
        verbose_name = _("indikator")
        verbose_name_plural = _("indikatorer")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:indicator", args=[self.pk])

    def clean(self):
        super().clean()
        if (self.baseline_value is None) != (self.baseline_year is None):
            raise ValidationError({"baseline_year": _("Ange både utgångsvärde och utgångsår, eller inget av dem.")})


class Target(BaseModel):
    """The target value (målvärde) of an indicator for one year."""

    indicator = models.ForeignKey(
        to=Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indikator")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    value = models.DecimalField(_("målvärde"), max_digits=14, decimal_places=2)

    organisation_path = "indicator__goal__organisation"
    lock_path = "indicator__goal__plan__status"
    locked_statuses = (PlanStatus.ADOPTED,)

    class Meta:
        ordering = ("indicator", "year")
        constraints = (
            models.UniqueConstraint(
                fields=("indicator", "year"),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("Indikatorn har redan ett målvärde för året."),
            ),
        )
        verbose_name = _("målvärde")
        verbose_name_plural = _("målvärden")

    def __str__(self):
        return f"{self.year}: {self.value}"

    def get_absolute_url(self):
        return reverse("goals:indicator", args=[self.indicator_id])


class Outcome(BaseModel):
    """A measured outcome (utfall) of an indicator for a year or a tertial, optionally split by sex."""

    indicator = models.ForeignKey(
        to=Indicator, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("indikator")
    )
    year = models.PositiveSmallIntegerField(_("år"), validators=YEAR_VALIDATORS)
    period = models.CharField(_("period"), max_length=2, choices=OutcomePeriod.choices, default=OutcomePeriod.YEAR)
    value = models.DecimalField(_("utfall"), max_digits=14, decimal_places=2)
    value_women = models.DecimalField(_("utfall kvinnor"), max_digits=14, decimal_places=2, blank=True, null=True)
    value_men = models.DecimalField(_("utfall män"), max_digits=14, decimal_places=2, blank=True, null=True)
    comment = models.TextField(_("kommentar"), blank=True)

    # Outcomes are follow-up: they are entered during the year after the plan is adopted, so never locked.
    organisation_path = "indicator__goal__organisation"

    class Meta:
        ordering = ("indicator", "year", "period")
        constraints = (
            models.UniqueConstraint(
                fields=("indicator", "year", "period"),
                name="%(app_label)s_%(class)s_unique_period",
                violation_error_message=_("Indikatorn har redan ett utfall för den perioden."),
            ),
        )
        verbose_name = _("utfall")
        verbose_name_plural = _("utfall")

    def __str__(self):
        return f"{self.year} {self.get_period_display()}: {self.value}"

    def get_absolute_url(self):
        return reverse("goals:indicator", args=[self.indicator_id])

    @property
    def label(self):
        """ "2023" for a full year, "2024 T1" for a tertial."""
        return str(self.year) if self.period == OutcomePeriod.YEAR else f"{self.year} {self.period}"


class ImportJob(models.Model):
    """
    A spreadsheet import that runs as a background job (files over IMPORT_ASYNC_ROWS rows): the preview or the
    commit of one stashed file, its progress and its result. The rows it writes keep their own history; the job is a
    record of the run, not data anyone edits, so it has none.
    """

    class Mode(models.TextChoices):
        PREVIEW = "preview", _("förhandsgranskning")
        COMMIT = "commit", _("inläsning")

    class Status(models.TextChoices):
        QUEUED = "queued", _("i kö")
        RUNNING = "running", _("pågår")
        DONE = "done", _("klar")
        FAILED = "failed", _("misslyckades")

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("kommun")
    )
    user = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
        blank=True,
        null=True,
        verbose_name=_("användare"),
    )
    mode = models.CharField(_("slag"), max_length=10, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    filename = models.CharField(_("filnamn"), max_length=255)
    token = models.TextField(_("filens nyckel"), help_text=_("Den signerade nyckeln till den sparade filen."))
    rows_total = models.PositiveIntegerField(_("rader"), default=0)
    rows_checked = models.PositiveIntegerField(_("kontrollerade rader"), default=0)
    rows_saved = models.PositiveIntegerField(_("sparade rader"), default=0)
    result = models.JSONField(_("resultat"), default=dict, blank=True)
    error = models.TextField(_("fel"), blank=True)
    created = models.DateTimeField(_("skapad"), auto_now_add=True)
    started = models.DateTimeField(_("startad"), blank=True, null=True)
    finished = models.DateTimeField(_("klar"), blank=True, null=True)

    class Meta:
        ordering = ("-created",)
        verbose_name = _("importjobb")
        verbose_name_plural = _("importjobb")

    def __str__(self):
        return f"{self.filename} ({self.get_mode_display()}, {self.get_status_display()})"

    def get_absolute_url(self):
        """Reads `municipality` (select it with the job to avoid a query)."""
        return reverse("goals:import_job", args=[self.municipality.slug, self.pk])

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self):
        """Progress in per cent: checking the rows is the first half, writing them the second."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, (self.rows_checked + self.rows_saved) * 50 // self.rows_total)
