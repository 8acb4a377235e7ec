"""Choices of the assignments (uppdrag)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("Uppdrag")
    CONSTRAINT = "constraint", _("Villkor")


class AssignmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Ej påbörjat")
    ONGOING = "ongoing", _("Pågår")
    DONE = "done", _("Genomfört")
    ENDED = "ended", _("Avslutat genom beslut")
    NOT_DONE = "not_done", _("Ej genomfört")


# An assignment is finished (it no longer carries over to the next year) in these statuses.
CLOSED_STATUSES = (AssignmentStatus.DONE, AssignmentStatus.ENDED, AssignmentStatus.NOT_DONE)
# The statuses officials report; ending an assignment takes a decision.
REPORTED_STATUSES = (
    AssignmentStatus.NOT_STARTED,
    AssignmentStatus.ONGOING,
    AssignmentStatus.DONE,
    AssignmentStatus.NOT_DONE,
)


class DecisionKind(models.TextChoices):
    GIVEN = "given", _("Givet")
    CHANGED = "changed", _("Ändrat")
    EXTENDED = "extended", _("Förlängt")
    ENDED = "ended", _("Avslutat")
