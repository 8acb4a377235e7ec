"""
The shared core: municipalities, the organisation forest, mandate periods, memberships and the
styrdokument register, plus the abstract bases every domain model builds on.
"""

import datetime

import simple_history
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey
from simple_history.models import HistoricalRecords

from .choices import ALLOWED_CHILD_KINDS, DOCUMENT_GROUPS, DocumentKind, OrganisationKind, Role


class PermissionPaths:
    """What styrning.permissions reads from a model: where its organisation and municipality are, which roles change
    it, and what locks it. A model that users do not edit but that is read through the permissions (an archived
    report) takes these defaults with it; TrackedModel does."""

    # The path from this model to the Organisation that owns it; the permissions module reads it.
    organisation_path = "organisation"
    # The path to a status field that locks the object for editors (None: never locked), and the locking values.
    lock_path = None
    locked_statuses = ()
    # True: the lock holds for administrators (and superusers) too, e.g. a decided budget: a change is a new decision.
    lock_applies_to_admins = False
    # The roles that may change objects of this model within their subtree.
    change_roles = (Role.EDITOR, Role.ADMIN)
    # The path to the Municipality; defaults to "<organisation_path>__municipality".
    municipality_path = None


class TrackedModel(PermissionPaths, models.Model):
    """
    Abstract base of every model a user edits: timestamps, an optimistic-lock version and the
    example-data flag (content that is not from a seed document is shown as "exempeldata").
    """

    created = models.DateTimeField(_("skapad"), auto_now_add=True)
    updated = models.DateTimeField(_("ändrad"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_example = models.BooleanField(
        _("exempeldata"),
        default=False,
        help_text=_("Innehåll som inte kommer från kommunens egna dokument utan är exempel."),
    )

    class Meta:
        abstract = True


class BaseModel(TrackedModel):
    """Abstract base with change history (django-simple-history) for non-tree models."""

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class DecisionFields(models.Model):
    """The reference to a decision: body, date, paragraph (§) and diarienummer."""

    decided_by = models.ForeignKey(
        to="styrning.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        blank=True,
        null=True,
        verbose_name=_("beslutande organ"),
    )
    decided_on = models.DateField(_("beslutsdatum"), blank=True, null=True)
    paragraph = models.CharField(_("paragraf (§)"), max_length=20, blank=True)
    registration_number = models.CharField(
        _("diarienummer"), max_length=50, blank=True, help_text=_("Till exempel Dnr KS 2019/160.")
    )

    class Meta:
        abstract = True

    def set_decision(self, *, decided_by, decided_on, paragraph="", registration_number=""):
        """Record the decision (the caller saves): organ, date, § and dnr."""
        self.decided_by = decided_by
        self.decided_on = decided_on
        self.paragraph = paragraph
        self.registration_number = registration_number

    @property
    def decision_display(self):
        """Decision reference as written in Swedish minutes, e.g. "KF 2023-10-09 § 118, Dnr KS 2019/160".

        Reads `decided_by`: select it with the object to avoid a query.
        """
        parts = []
        if self.decided_by_id:
            parts.append(self.decided_by.short_name or self.decided_by.name)
        if self.decided_on:
            parts.append(self.decided_on.isoformat())
        if self.paragraph:
            paragraph = self.paragraph if self.paragraph.startswith("§") else f"§ {self.paragraph}"
            parts.append(paragraph)
        text = " ".join(parts)
        if self.registration_number:
            text = f"{text}, {self.registration_number}" if text else self.registration_number
        return text


class Municipality(BaseModel):
    """A municipality (kommun): the root of one organisation tree and one goal tree."""

    name = models.CharField(_("namn"), max_length=100, unique=True)
    slug = models.SlugField(_("kortnamn i adresser"), max_length=50, unique=True)
    code = models.CharField(
        _("kommunkod"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^\d{4}$", _("Kommunkoden består av fyra siffror, till exempel 0665."))],
    )

    # Municipality-wide objects have no owning organisation: the administrators of the root change them.
    organisation_path = None
    municipality_path = ""

    class Meta:
        ordering = ("name",)
        verbose_name = _("kommun")
        verbose_name_plural = _("kommuner")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:house", args=[self.slug])


class Organisation(TrackedModel, MPTTModel):
    """
    A body or part of the organisation (KF, KS, nämnd, bolag, förvaltning, verksamhet, enhet).
    One tree per municipality, with kommunfullmäktige at the root. Rights reach down the subtree.
    """

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("kommun")
    )
    parent = TreeForeignKey(
        to="self",
        on_delete=models.PROTECT,
        related_name="children",
        blank=True,
        null=True,
        verbose_name=_("överordnad organisation"),
    )
    name = models.CharField(_("namn"), max_length=200)
    short_name = models.CharField(_("förkortning"), max_length=30, blank=True, help_text=_("Till exempel KF, KS, BUN."))
    kind = models.CharField(_("typ"), max_length=20, choices=OrganisationKind.choices)
    code = models.CharField(_("kod"), max_length=30, help_text=_("Unik inom kommunen, används vid import."))
    mission = models.TextField(
        _("grunduppdrag"), blank=True, help_text=_("Det löpande uppdraget enligt reglemente eller ägardirektiv.")
    )

    organisation_path = ""
    change_roles = (Role.ADMIN,)

    class MPTTMeta:
        order_insertion_by = ("name",)

    class Meta:
        ordering = ("tree_id", "lft")
        indexes = ()
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "code"),
                name="%(app_label)s_%(class)s_unique_municipality_code",
                violation_error_message=_("Det finns redan en organisation med den koden i kommunen."),
            ),
        )
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:organisation", args=[self.pk])

    @property
    def label(self):
        """Short name if there is one, else the name."""
        return self.short_name or self.name

    def clean(self):
        super().clean()
        if self.parent_id is None:
            if self.kind and self.kind != OrganisationKind.COUNCIL:
                raise ValidationError({"parent": _("Endast kommunfullmäktige kan stå överst i organisationen.")})
            return
        parent = self.parent
        if self.pk and (parent.pk == self.pk or (parent.tree_id == self.tree_id and self.lft < parent.lft < self.rght)):
            raise ValidationError(
                {"parent": _("En organisation kan inte ligga under sig själv eller någon av sina underorganisationer.")}
            )
        if self.municipality_id and parent.municipality_id != self.municipality_id:
            raise ValidationError({"parent": _("Den överordnade organisationen tillhör en annan kommun.")})
        if self.kind and self.kind not in ALLOWED_CHILD_KINDS[OrganisationKind(parent.kind)]:
            raise ValidationError(
                {
                    "kind": _("En %(kind)s kan inte ligga under en %(parent_kind)s.")
                    % {
                        "kind": OrganisationKind(self.kind).label.lower(),
                        "parent_kind": OrganisationKind(parent.kind).label.lower(),
                    }
                }
            )

    def contains(self, other):
        """True if `other` is this organisation or lies in its subtree (no query)."""
        return other.tree_id == self.tree_id and self.lft <= other.lft and other.rght <= self.rght


simple_history.register(Organisation)


class MandatePeriod(BaseModel):
    """A mandate period (mandatperiod) of four years, e.g. 2023–2026."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="mandate_periods", verbose_name=_("kommun")
    )
    start_year = models.PositiveSmallIntegerField(_("första år"))
    end_year = models.PositiveSmallIntegerField(_("sista år"))

    organisation_path = None
    municipality_path = "municipality"

    class Meta:
        ordering = ("municipality", "start_year")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "start_year"),
                name="%(app_label)s_%(class)s_unique_start",
                violation_error_message=_("Kommunen har redan en mandatperiod som börjar det året."),
            ),
        )
        verbose_name = _("mandatperiod")
        verbose_name_plural = _("mandatperioder")

    def __str__(self):
        return f"{self.start_year}–{self.end_year}"

    def __contains__(self, year):
        return self.start_year <= year <= self.end_year

    def get_absolute_url(self):
        return reverse("admin:styrning_mandateperiod_change", args=[self.pk])

    def clean(self):
        super().clean()
        if self.start_year and self.end_year and self.end_year != self.start_year + 3:
            raise ValidationError({"end_year": _("En mandatperiod omfattar fyra år: sista år ska vara första år + 3.")})


class Membership(BaseModel):
    """A user's role in an organisation; the right reaches down the organisation's subtree."""

    user = models.ForeignKey(
        to=settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("användare")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)

    change_roles = (Role.ADMIN,)

    class Meta:
        ordering = ("user", "organisation")
        constraints = (
            models.UniqueConstraint(
                fields=("user", "organisation"),
                name="%(app_label)s_%(class)s_unique_user_organisation",
                violation_error_message=_("Användaren har redan en behörighet i organisationen."),
            ),
        )
        verbose_name = _("behörighet")
        verbose_name_plural = _("behörigheter")

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"

    def get_absolute_url(self):
        return reverse("goals:organisation", args=[self.organisation_id])


def document_upload_path(instance, filename):
    return f"styrdokument/{instance.municipality.slug}/{filename}"


class SteeringDocument(BaseModel, DecisionFields):
    """A steering document (styrdokument) in the register: program, policy, reglemente, ägardirektiv and so on."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="documents", verbose_name=_("kommun")
    )
    organisation = models.ForeignKey(
        to=Organisation,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("ansvarig organisation"),
        help_text=_("Den organisation som äger dokumentet och ansvarar för revideringen."),
    )
    title = models.CharField(_("titel"), max_length=300)
    kind = models.CharField(_("typ"), max_length=20, choices=DocumentKind.choices)
    summary = models.TextField(_("sammanfattning"), blank=True)
    valid_from = models.DateField(_("gäller från"), blank=True, null=True)
    revision_due = models.DateField(_("revideras senast"), blank=True, null=True)
    file = models.FileField(_("fil"), upload_to=document_upload_path, blank=True)
    url = models.URLField(_("länk"), blank=True)

    class Meta:
        ordering = ("municipality", "kind", "title")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "title", "kind"),
                name="%(app_label)s_%(class)s_unique_title",
                violation_error_message=_("Det finns redan ett styrdokument av den typen med samma titel."),
            ),
        )
        verbose_name = _("styrdokument")
        verbose_name_plural = _("styrdokument")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("styrning:document", args=[self.pk])

    @property
    def group(self):
        """Aktiverande, normerande or övriga, from the kind."""
        return DOCUMENT_GROUPS[DocumentKind(self.kind)]

    @property
    def is_revision_overdue(self):
        return bool(self.revision_due and self.revision_due < timezone.localdate())

    def clean(self):
        super().clean()
        if self.valid_from and self.revision_due and self.revision_due < self.valid_from:
            raise ValidationError({"revision_due": _("Revisionsdatumet kan inte ligga före giltighetsdatumet.")})
        if self.decided_on and self.decided_on > timezone.localdate() + datetime.timedelta(days=366):
            raise ValidationError({"decided_on": _("Beslutsdatumet ligger för långt fram i tiden.")})
        if self.organisation_id and self.municipality_id and self.organisation.municipality_id != self.municipality_id:
            raise ValidationError({"organisation": _("Organisationen tillhör en annan kommun.")})
