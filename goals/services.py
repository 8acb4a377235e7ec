"""Writes of the goal chain. Every write goes through styrning.services.object_save (validation, stale check,
history)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from styrning.services import object_save

from .choices import LEVEL_FOR_ORGANISATION, PLAN_KIND_FOR_ORGANISATION, GoalKind, GoalLevel, PlanStatus
from .models import Goal, Plan, Value


def _fill_goal_defaults(goal):
    """Derive what follows from the organisation and the plan, so the user never types it twice."""
    if goal.organisation_id:
        goal.municipality_id = goal.organisation.municipality_id
        if goal.kind != GoalKind.VISION:
            goal.level = LEVEL_FOR_ORGANISATION[goal.organisation.kind]
    if goal.kind == GoalKind.VISION:
        goal.level = GoalLevel.VISION
    if goal.plan_id and not goal.start_year and not goal.is_activity:
        plan = goal.plan
        goal.start_year = plan.year or plan.mandate_period.start_year
        goal.end_year = goal.end_year or plan.year or plan.mandate_period.end_year


def goal_save(goal, *, user, expected_version=None, reason=""):
    """Create or change a goal or activity (the tree rules live in Goal.clean)."""
    _fill_goal_defaults(goal)
    return object_save(goal, user=user, expected_version=expected_version, reason=reason)


def goal_set_relations(goal, *, contributes_to=None, sdg_goals=None, sdg_targets=None, documents=None):
    """Set a goal's many-to-many links; refuses links that leave the municipality or point at the goal itself."""
    if contributes_to is not None:
        contributes_to = list(contributes_to)
        for other in contributes_to:
            if other.pk == goal.pk:
                raise ValidationError({"contributes_to": _("Ett mål kan inte bidra till sig självt.")})
            if other.municipality_id != goal.municipality_id:
                raise ValidationError(
                    {"contributes_to": _("Målet %(code)s tillhör en annan kommun.") % {"code": other.code}}
                )
        goal.contributes_to.set(contributes_to)
    if sdg_goals is not None:
        goal.sdg_goals.set(sdg_goals)
    if sdg_targets is not None:
        goal.sdg_targets.set(sdg_targets)
    if documents is not None:
        documents = list(documents)
        if any(d.municipality_id != goal.municipality_id for d in documents):
            raise ValidationError({"documents": _("Styrdokumentet tillhör en annan kommun.")})
        goal.documents.set(documents)


@transaction.atomic
def vision_save(*, municipality, statement, user, description="", valid_until=None, reason="", is_example=False):
    """Create or change the municipality's vision, the root of its goal tree."""
    from styrning.models import Organisation

    vision = Goal.objects.filter(municipality=municipality, kind=GoalKind.VISION).first()
    if vision is None:
        council = Organisation.objects.get(municipality=municipality, parent=None)
        code = "VISION"
        vision = Goal(municipality=municipality, organisation=council, kind=GoalKind.VISION, code=code)
    vision.title = statement
    vision.description = description
    vision.end_year = valid_until
    vision.is_example = is_example
    return goal_save(vision, user=user, reason=reason)


def value_save(value, *, user, expected_version=None, reason=""):
    return object_save(value, user=user, expected_version=expected_version, reason=reason)


def plan_save(plan, *, user, expected_version=None, reason=""):
    """Create or change a plan; its kind follows the organisation."""
    if plan.organisation_id and not plan.kind:
        plan.kind = PLAN_KIND_FOR_ORGANISATION[plan.organisation.kind]
    return object_save(plan, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def plan_adopt(plan, *, user, decided_by, decided_on, paragraph="", registration_number="", reason=""):
    """Record the decision that adopted the plan (fastställd); its goals become read-only for editors."""
    if plan.status == PlanStatus.ADOPTED:
        raise ValidationError(_("Planen är redan fastställd."))
    plan.status = PlanStatus.ADOPTED
    plan.set_decision(
        decided_by=decided_by, decided_on=decided_on, paragraph=paragraph, registration_number=registration_number
    )
    return object_save(plan, user=user, reason=reason or _("Fastställd"))


@transaction.atomic
def plan_reopen(plan, *, user, reason):
    """Return an adopted plan to draft (utkast); the reason is required and kept in the history."""
    if plan.status != PlanStatus.ADOPTED:
        raise ValidationError(_("Planen är inte fastställd."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Ange varför planen öppnas för ändringar igen.")})
    plan.status = PlanStatus.DRAFT
    return object_save(plan, user=user, reason=_("Öppnad igen: %(reason)s") % {"reason": reason})


def activity_status_update(activity, *, status, user, reason=""):
    """Update an activity's status (follow-up: allowed after the plan is adopted)."""
    if not activity.is_activity:
        raise ValidationError(_("Endast aktiviteter har en status."))
    activity.activity_status = status
    return object_save(activity, user=user, reason=reason)


def indicator_save(indicator, *, user, expected_version=None, reason=""):
    return object_save(indicator, user=user, expected_version=expected_version, reason=reason)


def target_save(target, *, user, expected_version=None, reason=""):
    return object_save(target, user=user, expected_version=expected_version, reason=reason)


def outcome_save(outcome, *, user, expected_version=None, reason=""):
    return object_save(outcome, user=user, expected_version=expected_version, reason=reason)


__all__ = [
    "Plan",
    "Value",
    "activity_status_update",
    "goal_save",
    "goal_set_relations",
    "indicator_save",
    "outcome_save",
    "plan_adopt",
    "plan_reopen",
    "plan_save",
    "target_save",
    "value_save",
    "vision_save",
]


def goal_suggest_code(*, parent, organisation):
    """A free code for a new goal under `parent`, e.g. KF1.3 (two queries at most)."""
    if parent is None:
        return ""
    prefix = "KF" if parent.kind == GoalKind.VISION else f"{parent.code}."
    existing = set(
        Goal.objects.filter(municipality_id=parent.municipality_id, code__startswith=prefix).values_list(
            "code", flat=True
        )
    )
    n = 1
    while f"{prefix}{n}" in existing:
        n += 1
    return f"{prefix}{n}"
