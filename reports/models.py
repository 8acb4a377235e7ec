"""
PDF reports: a report job asks for one document (a tertial report, the compiled report for KS and KF, the strategic
development programme, an assignment list, the budget), is split into sections that are prepared as parallel Celery
tasks, and ends in an archived file. Files are never overwritten: asking again makes a new version.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from styrning.models import Municipality, Organisation, PermissionPaths


class ReportKind(models.TextChoices):
    TERTIAL = "tertial", _("Uppföljningsrapport")
    COMPILED = "compiled", _("Sammanställd uppföljning för KS och KF")
    PROGRAMME = "programme", _("Strategiskt utvecklingsprogram")
    ASSIGNMENTS = "assignments", _("Uppdragslista")
    BUDGET = "budget", _("Budget med plan")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("I kö")
    RUNNING = "running", _("Skapas")
    DONE = "done", _("Klar")
    FAILED = "failed", _("Misslyckades")


def report_upload_path(instance, filename):
    return f"rapporter/{instance.municipality.slug}/{instance.kind}/{filename}"


class ReportFile(PermissionPaths, models.Model):
    """An archived PDF: who asked for it, when, from what data, with its checksum. Never changed or overwritten."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.PROTECT, related_name="report_files", verbose_name=_("kommun")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.PROTECT, related_name="report_files", verbose_name=_("organisation")
    )
    kind = models.CharField(_("slag"), max_length=20, choices=ReportKind.choices)
    subject_key = models.CharField(
        _("avser"), max_length=100, help_text=_("Vad rapporten avser, t.ex. followupreport:12 eller budget:3.")
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("titel"), max_length=300)
    file = models.FileField(_("fil"), upload_to=report_upload_path)
    checksum = models.CharField(_("kontrollsumma (SHA-256)"), max_length=64)
    size = models.PositiveIntegerField(_("storlek (byte)"))
    pages = models.PositiveIntegerField(_("sidor"))
    data_source = models.JSONField(
        _("underlag"), default=dict, help_text=_("Vilka uppgifter rapporten byggde på, med deras versioner.")
    )
    created = models.DateTimeField(_("skapad"), auto_now_add=True)
    created_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="+",
        verbose_name=_("beställd av"),
    )
    followup_report = models.ForeignKey(
        to="followup.FollowUpReport",
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="pdf_files",
        verbose_name=_("uppföljningsrapport"),
    )
    is_approval_copy = models.BooleanField(
        _("beslutsunderlag"),
        default=False,
        help_text=_("Den version som skapades när rapporten godkändes, det som beslutet fattades om."),
    )

    # Read through styrning.permissions: seen by everyone of the municipality; never edited.
    municipality_path = "municipality"
    change_roles = ()

    class Meta:
        ordering = ("municipality", "kind", "subject_key", "-version")
        constraints = (
            models.UniqueConstraint(
                fields=("municipality", "kind", "subject_key", "version"), name="%(app_label)s_%(class)s_unique_version"
            ),
        )
        verbose_name = _("rapportversion")
        verbose_name_plural = _("rapportversioner")

    def __str__(self):
        return f"{self.title} (version {self.version})"

    def get_absolute_url(self):
        return reverse("reports:download", args=[self.pk])

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1]


class ReportJob(PermissionPaths, models.Model):
    """A request for a PDF, from queued to done (with its file) or failed (with its message)."""

    municipality = models.ForeignKey(
        to=Municipality, on_delete=models.CASCADE, related_name="report_jobs", verbose_name=_("kommun")
    )
    organisation = models.ForeignKey(
        to=Organisation, on_delete=models.CASCADE, related_name="report_jobs", verbose_name=_("organisation")
    )
    kind = models.CharField(_("slag"), max_length=20, choices=ReportKind.choices)
    subject_key = models.CharField(_("avser"), max_length=100)
    params = models.JSONField(_("parametrar"), default=dict)
    title = models.CharField(_("titel"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    sections_total = models.PositiveIntegerField(_("avsnitt"), default=0)
    sections_done = models.PositiveIntegerField(_("klara avsnitt"), default=0)
    error = models.TextField(_("fel"), blank=True)
    requested_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="+",
        verbose_name=_("beställd av"),
    )
    is_approval_copy = models.BooleanField(_("beslutsunderlag"), default=False)
    created = models.DateTimeField(_("beställd"), auto_now_add=True)
    started = models.DateTimeField(_("startad"), blank=True, null=True)
    finished = models.DateTimeField(_("klar"), blank=True, null=True)
    file = models.OneToOneField(
        to=ReportFile, on_delete=models.SET_NULL, blank=True, null=True, related_name="job", verbose_name=_("fil")
    )

    # Read through styrning.permissions: seen by everyone of the municipality; changed only by its tasks.
    municipality_path = "municipality"
    change_roles = ()

    class Meta:
        ordering = ("-created",)
        verbose_name = _("rapportjobb")
        verbose_name_plural = _("rapportjobb")

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("reports:job", args=[self.pk])

    @property
    def is_finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def progress_percent(self):
        if self.status == JobStatus.DONE:
            return 100
        if not self.sections_total:
            return 0
        # The last step (laying out the PDF) is a share of its own.
        return int(90 * self.sections_done / self.sections_total)


class ReportSection(models.Model):
    """One section of a job (a nämnd's chapter, a goal's spread), laid out by its own task as a PDF of its own, kept
    until the job's last task has joined the sections into the document."""

    job = models.ForeignKey(to=ReportJob, on_delete=models.CASCADE, related_name="sections", verbose_name=_("jobb"))
    position = models.PositiveIntegerField(_("ordning"))
    key = models.CharField(_("nyckel"), max_length=100)
    title = models.CharField(_("rubrik"), max_length=300)
    pdf = models.BinaryField(_("PDF"), blank=True, default=b"")
    pages = models.PositiveIntegerField(_("sidor"), default=0)
    done = models.BooleanField(_("klar"), default=False)

    class Meta:
        ordering = ("job", "position")
        constraints = (
            models.UniqueConstraint(fields=("job", "position"), name="%(app_label)s_%(class)s_unique_position"),
        )
        verbose_name = _("avsnitt")
        verbose_name_plural = _("avsnitt")

    def __str__(self):
        return self.title
