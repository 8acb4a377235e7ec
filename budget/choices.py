"""Choices of Budget med plan and the budget process calendar (årshjul)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from styrning.choices import OrganisationKind


class DecisionKind(models.TextChoices):
    """What a budget decision is, in the order of the budget process (004 "Budgetprocessen")."""

    FRAME_BUDGET = "frame_budget", _("Rambudget (juni)")
    COMPLEMENTARY = "complementary", _("Kompletterande beslut om ramar (november, valår)")
    OTHER = "other", _("Annat beslut")


class DecisionStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    DECIDED = "decided", _("Beslutad")


class MilestoneKind(models.TextChoices):
    """The steps of the budget process (004) and the three follow-ups a year."""

    PREREQUISITES = "prerequisites", _("Planeringsförutsättningar")
    PRELIMINARY_FRAMES = "preliminary_frames", _("Preliminära budgetramar")
    PREPARATION = "preparation", _("Budgetberedning")
    FRAME_BUDGET = "frame_budget", _("Rambudget i kommunfullmäktige")
    COMPLEMENTARY = "complementary", _("Kompletterande beslut om budgetramar")
    DETAILED_BUDGET = "detailed_budget", _("Nämndernas detaljbudget")
    FOLLOW_UP_T1 = "t1", _("Budgetuppföljning (T1)")
    FOLLOW_UP_T2 = "t2", _("Delårsrapport (T2)")
    ANNUAL_REPORT = "t3", _("Årsredovisning (T3)")
    OTHER = "other", _("Övrigt")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planerad")
    ONGOING = "ongoing", _("Pågår")
    DONE = "done", _("Klar")


# The organisations that get a frame (ram) in the budget: KF's own (politisk verksamhet, revision), KS and the nämnder.
# Companies (bolag) are financed outside the municipality's frames.
FRAME_ORGANISATION_KINDS = (OrganisationKind.COUNCIL, OrganisationKind.EXECUTIVE_BOARD, OrganisationKind.COMMITTEE)
# The bodies that decide a budget.
DECIDING_ORGANISATION_KINDS = (OrganisationKind.COUNCIL, OrganisationKind.EXECUTIVE_BOARD)

# A budget covers the budget year and the two plan years that follow (004: "Budget med plan").
PLAN_YEARS = 2
