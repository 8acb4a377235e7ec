"""
Writes of the assignments. An assignment is given in a decision; later decisions change, extend or end it and are
kept as events with what they changed; receivers report status with a comment. Nothing is overwritten: the
assignment's current fields are the result of its decisions, and every earlier value stays in its decision events
and in the history.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from styrning.services import object_save

from .choices import CLOSED_STATUSES, REPORTED_STATUSES, AssignmentStatus, DecisionKind
from .models import Assignment, AssignmentAmount, AssignmentDecision, AssignmentStatusUpdate

# The fields a later decision may change, in the order they are shown.
DECIDABLE_FIELDS = ("title", "description", "due_date", "end_year")


def _decision(assignment, *, kind, decision, budget_year, changes, comment, user, reason, is_example=None):
    return object_save(
        AssignmentDecision(
            assignment=assignment,
            kind=kind,
            budget_year=budget_year,
            changes=changes,
            comment=comment,
            is_example=assignment.is_example if is_example is None else is_example,
            **decision,
        ),
        user=user,
        reason=reason,
    )


@transaction.atomic
def assignment_give(
    *, assignment, receivers, amounts=(), goals=(), decision, user, reason="", decision_is_example=None
):
    """Give an assignment: save it with its receivers (the lead among them), money and goals, and record the
    giving decision. `decision` holds decided_by/decided_on/paragraph/registration_number; `amounts` holds
    (organisation, year, kronor, comment) tuples.
    """
    receivers = list(receivers)
    if assignment.lead_id and assignment.lead not in receivers:
        receivers.insert(0, assignment.lead)
    if not receivers:
        raise ValidationError({"receivers": _("Välj minst en mottagare.")})
    if any(r.municipality_id != assignment.municipality_id for r in receivers):
        raise ValidationError({"receivers": _("En mottagare tillhör en annan kommun.")})
    if assignment.status in CLOSED_STATUSES:
        raise ValidationError({"status": _("Ett nytt uppdrag kan inte redan vara avslutat.")})
    object_save(assignment, user=user, reason=reason or _("Uppdraget givet"))
    assignment.receivers.set(receivers)
    if goals:
        goals = list(goals)
        if any(g.municipality_id != assignment.municipality_id for g in goals):
            raise ValidationError({"goals": _("Ett mål tillhör en annan kommun.")})
        assignment.goals.set(goals)
    for organisation, year, kronor, comment in amounts:
        amount_save(
            AssignmentAmount(
                assignment=assignment,
                organisation=organisation,
                year=year,
                amount=kronor,
                comment=comment,
                is_example=assignment.is_example,
            ),
            user=user,
        )
    _decision(
        assignment,
        kind=DecisionKind.GIVEN,
        decision=decision,
        budget_year=assignment.start_year,
        changes=[],
        comment="",
        user=user,
        reason=reason,
        is_example=decision_is_example,
    )
    return assignment


def amount_save(amount, *, user, expected_version=None, reason=""):
    """Save the money of an assignment for one receiver and year; the receiver must be one of the assignment's."""
    if amount.assignment_id and amount.organisation_id and amount.assignment.pk:
        receivers = set(amount.assignment.receivers.values_list("pk", flat=True))
        if receivers and amount.organisation_id not in receivers:
            raise ValidationError({"organisation": _("Pengarna kan bara tillföras en av uppdragets mottagare.")})
    return object_save(amount, user=user, expected_version=expected_version, reason=reason)


def _display(field, value):
    if value in (None, ""):
        return "–"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@transaction.atomic
def assignment_decide(
    assignment, *, kind, decision, budget_year, changes, comment="", user, is_example=None, reason=None
):
    """Record a later decision about the assignment (changed, extended or ended) and apply what it changed.
    `reason` is the history reason of both writes (default: the decision's kind and comment).

    `changes` maps fields in DECIDABLE_FIELDS to their new values; the event keeps each old and new value.
    Extending needs a later due date or last year; ending closes the assignment on the decision date.
    """
    if kind == DecisionKind.GIVEN:
        raise ValidationError({"kind": _("Ett uppdrag ges bara en gång.")})
    if assignment.status == AssignmentStatus.ENDED:
        raise ValidationError(_("Uppdraget är redan avslutat genom beslut."))
    if not decision.get("decided_on") or not decision.get("decided_by"):
        raise ValidationError({"decided_on": _("Ange beslutande organ och beslutsdatum.")})
    unknown = set(changes) - set(DECIDABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not decidable: {sorted(unknown)}")
    old_values = {field: getattr(assignment, field) for field in changes}
    recorded = []
    for field in DECIDABLE_FIELDS:
        if field not in changes or old_values[field] == changes[field]:
            continue
        recorded.append(
            {
                "field": field,
                "label": str(Assignment._meta.get_field(field).verbose_name),
                "old": _display(field, old_values[field]),
                "new": _display(field, changes[field]),
            }
        )
        setattr(assignment, field, changes[field])
    changed = {c["field"] for c in recorded}
    if kind == DecisionKind.EXTENDED:
        if not changed & {"due_date", "end_year"}:
            raise ValidationError(
                {"due_date": _("En förlängning behöver ett nytt slutdatum eller ett senare sista år.")}
            )
        old_due, new_due = old_values.get("due_date"), assignment.due_date
        if "due_date" in changed and old_due and (new_due is None or new_due <= old_due):
            raise ValidationError({"due_date": _("Det nya slutdatumet måste ligga efter det tidigare.")})
        old_end = old_values.get("end_year") or assignment.start_year
        if "end_year" in changed and assignment.end_year is not None and assignment.end_year < old_end:
            raise ValidationError({"end_year": _("En förlängning kan inte flytta sista året bakåt.")})
    elif kind == DecisionKind.CHANGED and not recorded:
        raise ValidationError(_("Beslutet ändrar ingenting i uppdraget: ange vad som ändras."))
    elif kind == DecisionKind.ENDED:
        recorded.append(
            {
                "field": "status",
                "label": str(Assignment._meta.get_field("status").verbose_name),
                "old": assignment.get_status_display(),
                "new": str(AssignmentStatus.ENDED.label),
            }
        )
        assignment.status = AssignmentStatus.ENDED
        assignment.closed_on = decision["decided_on"]
    label = DecisionKind(kind).label
    reason = reason or (f"{label}: {comment}" if comment else str(label))
    object_save(assignment, user=user, reason=reason)
    return _decision(
        assignment,
        kind=kind,
        decision=decision,
        budget_year=budget_year,
        changes=recorded,
        comment=comment,
        user=user,
        reason=reason,
        is_example=is_example,
    )


@transaction.atomic
def assignment_report_status(assignment, *, organisation, status, comment, user, today=None, is_example=None):
    """A receiver reports the assignment's status with a comment; the assignment takes the reported status."""
    if status not in REPORTED_STATUSES:
        raise ValidationError({"status": _("Ett uppdrag avslutas genom beslut, inte genom en statusrapport.")})
    if assignment.status == AssignmentStatus.ENDED:
        raise ValidationError(_("Uppdraget är avslutat genom beslut och kan inte längre rapporteras."))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Skriv en kommentar om hur arbetet går.")})
    if not assignment.receivers.filter(pk=organisation.pk).exists():
        raise ValidationError({"organisation": _("Bara uppdragets mottagare rapporterar status.")})
    update = object_save(
        AssignmentStatusUpdate(
            assignment=assignment,
            organisation=organisation,
            status=status,
            comment=comment.strip(),
            is_example=assignment.is_example if is_example is None else is_example,
        ),
        user=user,
    )
    assignment.status = status
    assignment.closed_on = (today or timezone.localdate()) if status in CLOSED_STATUSES else None
    object_save(assignment, user=user, reason=_("Status rapporterad: %(comment)s") % {"comment": comment.strip()})
    return update
