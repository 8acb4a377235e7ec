"""Choices of the tertial follow-up and the internal control plan."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from styrning.choices import OrganisationKind


class PeriodKind(models.TextChoices):
    """The three follow-ups a year (004 "Periodisk rapportering")."""

    T1 = "t1", _("T1 Budgetuppföljning (januari–april)")
    T2 = "t2", _("T2 Delårsrapport (januari–augusti)")
    T3 = "t3", _("T3 Årsredovisning (januari–december)")


# The last month each period covers, and whether it asks for a full-year forecast (T3 is the outcome itself).
PERIOD_END_MONTH = {PeriodKind.T1: 4, PeriodKind.T2: 8, PeriodKind.T3: 12}
FORECAST_PERIODS = (PeriodKind.T1, PeriodKind.T2)
# The indicator outcome period (goals.OutcomePeriod) that belongs to each follow-up.
OUTCOME_PERIOD = {PeriodKind.T1: "T1", PeriodKind.T2: "T2", PeriodKind.T3: "Y"}
SHORT_NAMES = {PeriodKind.T1: "T1", PeriodKind.T2: "T2", PeriodKind.T3: "T3"}


class DeadlineLevel(models.TextChoices):
    """The levels a report travels through, each with its own deadline: enhet → förvaltning → nämnd → KS → KF."""

    UNIT = "unit", _("Enhet och verksamhet")
    ADMINISTRATION = "administration", _("Förvaltning")
    COMMITTEE = "committee", _("Nämnd och bolag")
    EXECUTIVE_BOARD = "executive_board", _("Kommunstyrelsen")
    COUNCIL = "council", _("Kommunfullmäktige")


DEADLINE_LEVEL_OF_KIND = {
    OrganisationKind.UNIT: DeadlineLevel.UNIT,
    OrganisationKind.DEPARTMENT: DeadlineLevel.UNIT,
    OrganisationKind.ADMINISTRATION: DeadlineLevel.ADMINISTRATION,
    OrganisationKind.COMMITTEE: DeadlineLevel.COMMITTEE,
    OrganisationKind.COMPANY: DeadlineLevel.COMMITTEE,
    OrganisationKind.EXECUTIVE_BOARD: DeadlineLevel.EXECUTIVE_BOARD,
    OrganisationKind.COUNCIL: DeadlineLevel.COUNCIL,
}
# Days after the end of the period when each level's report is due, for new periods (changed per period).
DEFAULT_DEADLINE_DAYS = {
    DeadlineLevel.UNIT: 10,
    DeadlineLevel.ADMINISTRATION: 17,
    DeadlineLevel.COMMITTEE: 28,
    DeadlineLevel.EXECUTIVE_BOARD: 42,
    DeadlineLevel.COUNCIL: 56,
}
# At these levels approval is a decision of the body (date, §, dnr), not only a signature.
DECIDING_LEVELS = (DeadlineLevel.COMMITTEE, DeadlineLevel.EXECUTIVE_BOARD, DeadlineLevel.COUNCIL)


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    SUBMITTED = "submitted", _("Inskickad")
    RETURNED = "returned", _("Återremitterad")
    APPROVED = "approved", _("Godkänd")


# Officials write in these statuses; a returned report is a draft with the reviewer's comment.
WRITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)
LOCKED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


class Assessment(models.TextChoices):
    MET = "met", _("Uppfyllt")
    PARTLY_MET = "partly", _("Delvis uppfyllt")
    NOT_MET = "not_met", _("Ej uppfyllt")
    NOT_ASSESSED = "not_assessed", _("Ej bedömt")


# The roll-up rule (shown on the page): every assessed goal counts the same, with these points.
ASSESSMENT_POINTS = {Assessment.MET: 2, Assessment.PARTLY_MET: 1, Assessment.NOT_MET: 0}
# An assessment that is not "uppfyllt" is explained in an analysis.
ANALYSIS_REQUIRED_FOR = (Assessment.PARTLY_MET, Assessment.NOT_MET)


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Inskickad")
    RETURNED = "returned", _("Återremitterad")
    APPROVED = "approved", _("Godkänd")
    REOPENED = "reopened", _("Öppnad igen")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planerad")
    ONGOING = "ongoing", _("Pågår")
    DONE = "done", _("Genomförd")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    ADOPTED = "adopted", _("Beslutad")


class Frequency(models.TextChoices):
    CONTINUOUS = "continuous", _("Löpande")
    MONTHLY = "monthly", _("Månadsvis")
    TERTIAL = "tertial", _("Tertialvis")
    YEARLY = "yearly", _("En gång per år")


class ControlOutcome(models.TextChoices):
    DONE_OK = "ok", _("Genomförd utan avvikelse")
    DONE_DEVIATION = "deviation", _("Genomförd med avvikelse")
    NOT_DONE = "not_done", _("Ej genomförd")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Tre dagar kvar")
    LATE = "late", _("Försenad")


# Risk scoring (risk- och väsentlighetsanalys): probability and consequence 1–4; the value is their product.
SCALE = (1, 2, 3, 4)
PROBABILITY_LABELS = {1: _("Osannolik"), 2: _("Mindre sannolik"), 3: _("Möjlig"), 4: _("Sannolik")}
CONSEQUENCE_LABELS = {1: _("Försumbar"), 2: _("Lindrig"), 3: _("Kännbar"), 4: _("Allvarlig")}


class RiskBand(models.TextChoices):
    LOW = "low", _("Låg risk (1–3)")
    MEDIUM = "medium", _("Medelhög risk (4–8)")
    HIGH = "high", _("Hög risk (9–16)")


def risk_band(value):
    """The band of a risk value in the usual green/yellow/red matrix: 1–3 green, 4–8 yellow, 9–16 red."""
    if value >= 9:
        return RiskBand.HIGH
    if value >= 4:
        return RiskBand.MEDIUM
    return RiskBand.LOW
