"""Choices of the goal chain."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from styrning.choices import OrganisationKind


class PlanKind(models.TextChoices):
    STRATEGIC = "strategic", _("Strategisk plan")
    COMMITTEE = "committee", _("Nämndplan")
    BUSINESS = "business", _("Affärsplan")
    OPERATIONAL = "operational", _("Verksamhetsplan")
    UNIT = "unit", _("Enhetsplan")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    ADOPTED = "adopted", _("Fastställd")


class GoalLevel(models.IntegerChoices):
    """The levels of the chain, in order from the top."""

    VISION = 0, _("Vision")
    MUNICIPAL = 1, _("Kommunfullmäktiges mål")
    COMMITTEE = 2, _("Nämnd- och bolagsmål")
    OPERATIONAL = 3, _("Verksamhetsmål")
    UNIT = 4, _("Enhetsmål")


class GoalKind(models.TextChoices):
    VISION = "vision", _("Vision")
    DIRECTION = "direction", _("Inriktningsmål")
    FINANCIAL = "financial", _("Finansiellt mål")
    GOAL = "goal", _("Mål")
    ACTIVITY = "activity", _("Aktivitet")


class Perspective(models.TextChoices):
    """The four perspectives of the balanced scorecard (004)."""

    ECONOMY = "economy", _("Ekonomi")
    CITIZENS = "citizens", _("Invånare och brukare")
    OPERATIONS = "operations", _("Verksamhet och medarbetare")
    DEVELOPMENT = "development", _("Utveckling")


class ActivityStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Ej påbörjad")
    ONGOING = "ongoing", _("Pågår")
    DONE = "done", _("Genomförd")
    POSTPONED = "postponed", _("Senarelagd")
    CANCELLED = "cancelled", _("Avbruten")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Högre är bättre")
    DECREASE = "decrease", _("Lägre är bättre")


class OutcomePeriod(models.TextChoices):
    """When in the year an outcome was measured; ordered T1 < T2 < helår."""

    T1 = "T1", _("T1 (jan–apr)")
    T2 = "T2", _("T2 (jan–aug)")
    YEAR = "Y", _("Helår")


OUTCOME_PERIOD_ORDER = {OutcomePeriod.T1: 1, OutcomePeriod.T2: 2, OutcomePeriod.YEAR: 3}


class TrafficLight(models.TextChoices):
    GREEN = "green", _("Når målvärdet")
    YELLOW = "yellow", _("Nära målvärdet")
    RED = "red", _("Långt från målvärdet")
    NONE = "none", _("Kan inte bedömas")


class Trend(models.TextChoices):
    BETTER = "better", _("Bättre än föregående")
    SAME = "same", _("Oförändrat")
    WORSE = "worse", _("Sämre än föregående")
    NONE = "none", _("Ingen jämförelse")


# The plan kind and goal level that belong to each kind of organisation.
PLAN_KIND_FOR_ORGANISATION = {
    OrganisationKind.COUNCIL: PlanKind.STRATEGIC,
    OrganisationKind.EXECUTIVE_BOARD: PlanKind.COMMITTEE,
    OrganisationKind.COMMITTEE: PlanKind.COMMITTEE,
    OrganisationKind.COMPANY: PlanKind.BUSINESS,
    OrganisationKind.ADMINISTRATION: PlanKind.OPERATIONAL,
    OrganisationKind.DEPARTMENT: PlanKind.OPERATIONAL,
    OrganisationKind.UNIT: PlanKind.UNIT,
}

LEVEL_FOR_ORGANISATION = {
    OrganisationKind.COUNCIL: GoalLevel.MUNICIPAL,
    OrganisationKind.EXECUTIVE_BOARD: GoalLevel.COMMITTEE,
    OrganisationKind.COMMITTEE: GoalLevel.COMMITTEE,
    OrganisationKind.COMPANY: GoalLevel.COMMITTEE,
    OrganisationKind.ADMINISTRATION: GoalLevel.OPERATIONAL,
    OrganisationKind.DEPARTMENT: GoalLevel.OPERATIONAL,
    OrganisationKind.UNIT: GoalLevel.UNIT,
}

KINDS_FOR_LEVEL = {
    GoalLevel.VISION: {GoalKind.VISION},
    GoalLevel.MUNICIPAL: {GoalKind.DIRECTION, GoalKind.FINANCIAL},
    GoalLevel.COMMITTEE: {GoalKind.GOAL, GoalKind.ACTIVITY},
    GoalLevel.OPERATIONAL: {GoalKind.GOAL, GoalKind.ACTIVITY},
    GoalLevel.UNIT: {GoalKind.GOAL, GoalKind.ACTIVITY},
}
