"""
Writes of Budget med plan and the årshjul. Every write goes through styrning.services.object_save (validation, stale
check, history) or, for the copy of a whole version, bulk_create_with_history in one transaction.

A decided budget decision is never changed, not even by an administrator: the models' clean() refuses a frame or an
adjustment of a decided decision, and the deletes here check the same. A change is a new version
(budget_decision_new_version), which copies the frames and adjustments into a new draft.
"""

import calendar as calendar_module
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from styrning.choices import OrganisationKind
from styrning.models import Organisation
from styrning.services import StaleObjectError, history_reason, object_delete, object_save

from .choices import DecisionKind, DecisionStatus, MilestoneKind, MilestoneStatus
from .models import (
    LOCKED_MESSAGE,
    Budget,
    BudgetDecision,
    Frame,
    FrameAdjustment,
    Milestone,
    is_election_year,
)

# --- Budgets and decisions ------------------------------------------------------------------------------------------


def budget_save(budget, *, user, expected_version=None, reason=""):
    """Create or change a budget (the frame of years; its content lives in its decisions)."""
    return object_save(budget, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def budget_create(budget, *, user, reason=""):
    """Create a budget with its first version, an empty draft rambudget to fill in."""
    budget_save(budget, user=user, reason=reason)
    budget_decision_create(budget=budget, kind=DecisionKind.FRAME_BUDGET, user=user, is_example=budget.is_example)
    return budget


@transaction.atomic
def budget_decision_save(decision, *, user, expected_version=None, reason=""):
    """Create or change a budget decision; a new one gets the next version number of its budget.

    A decided decision is not changed here (budget_decision_decide decides; a change is a new version).
    """
    if decision.pk is None:
        # Lock the budget row so two new decisions cannot take the same number.
        Budget.objects.select_for_update().filter(pk=decision.budget_id).first()
        last = BudgetDecision.objects.filter(budget_id=decision.budget_id).aggregate(last=Max("number"))["last"]
        decision.number = (last or 0) + 1
        decision.status = DecisionStatus.DRAFT
    elif BudgetDecision.objects.filter(pk=decision.pk, status=DecisionStatus.DECIDED).exists():
        raise ValidationError(LOCKED_MESSAGE)
    return object_save(decision, user=user, expected_version=expected_version, reason=reason)


def _check_no_other_draft(budget_id, *, exclude_pk=None):
    draft = BudgetDecision.objects.filter(budget_id=budget_id, status=DecisionStatus.DRAFT).exclude(pk=exclude_pk)
    draft = draft.first()
    if draft is not None:
        raise ValidationError(
            _("Budgeten har redan ett utkast (%(decision)s). Besluta eller ta bort det först.") % {"decision": draft}
        )


@transaction.atomic
def budget_decision_create(*, budget, kind, user, title="", description="", reason="", is_example=False):
    """A new, empty draft decision of `budget` (the first version, or one that does not build on another)."""
    _check_no_other_draft(budget.pk)
    decision = BudgetDecision(budget=budget, kind=kind, title=title, description=description, is_example=is_example)
    return budget_decision_save(decision, user=user, reason=reason or _("Nytt budgetbeslut"))


@transaction.atomic
def budget_decision_new_version(previous, *, kind, user, title="", description="", reason=""):
    """A new draft version of a decided decision with copies of all its frames and adjustments.

    Queries: the locks and checks, the frames with their adjustments (two), and one bulk insert (with history) each
    for the frames and the adjustments, whatever their number.
    """
    previous = BudgetDecision.objects.select_for_update().select_related("budget").get(pk=previous.pk)
    if not previous.is_decided:
        raise ValidationError(_("Bara ett fattat beslut kan få en ny version; ändra utkastet direkt i stället."))
    _check_no_other_draft(previous.budget_id)
    decision = BudgetDecision(
        budget=previous.budget,
        kind=kind,
        title=title,
        description=description,
        previous=previous,
        is_example=previous.is_example,
    )
    reason = history_reason(reason or _("Ny version av %(decision)s") % {"decision": previous})
    budget_decision_save(decision, user=user, reason=reason)
    frames = list(previous.frames.select_related("organisation").prefetch_related("adjustments"))
    copies = []
    for frame in frames:
        copy = Frame(
            decision=decision,
            organisation=frame.organisation,
            year=frame.year,
            amount=frame.amount,
            comment=frame.comment,
            is_example=frame.is_example,
        )
        copy.full_clean(validate_constraints=False)  # a new decision: no existing row can collide
        copies.append(copy)
    history_user = user if user is not None and user.is_authenticated else None
    copies = bulk_create_with_history(copies, Frame, default_user=history_user, default_change_reason=reason)
    adjustments = []
    for frame, copy in zip(frames, copies, strict=True):
        for adjustment in frame.adjustments.all():
            adjustments.append(
                FrameAdjustment(
                    frame=copy,
                    amount=adjustment.amount,
                    reason=adjustment.reason,
                    assignment_id=adjustment.assignment_id,
                    is_example=adjustment.is_example,
                )
            )
    bulk_create_with_history(adjustments, FrameAdjustment, default_user=history_user, default_change_reason=reason)
    return decision


@transaction.atomic
def budget_decision_decide(decision, *, user, decided_by, decided_on, paragraph="", registration_number="", reason=""):
    """Record the decision (body, date, §, dnr): the version is decided and its frames can no longer change."""
    decision = BudgetDecision.objects.select_for_update().select_related("budget").get(pk=decision.pk)
    if decision.is_decided:
        raise ValidationError(_("Budgetbeslutet är redan fattat."))
    if not decision.frames.exists():
        raise ValidationError(_("Beslutet har inga ramar. Ange ramarna innan beslutet registreras."))
    decision.status = DecisionStatus.DECIDED
    decision.set_decision(
        decided_by=decided_by, decided_on=decided_on, paragraph=paragraph, registration_number=registration_number
    )
    return object_save(decision, user=user, reason=reason or _("Beslutat"))


@transaction.atomic
def budget_decision_delete(decision, *, user, reason=""):
    """Delete a draft decision with its frames and adjustments (each keeps a history row); decided ones stay."""
    if BudgetDecision.objects.filter(pk=decision.pk, status=DecisionStatus.DECIDED).exists():
        raise ValidationError(LOCKED_MESSAGE)
    object_delete(decision, user=user, reason=reason)


# --- Frames and adjustments -----------------------------------------------------------------------------------------


def frame_save(frame, *, user, expected_version=None, reason=""):
    """Create or change one frame of a draft decision (Frame.clean refuses a decided one)."""
    return object_save(frame, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def frame_table_save(decision, *, amounts, versions=None, user, reason=""):
    """Save the whole frame table of a draft decision at once: all or nothing.

    `amounts` maps (organisation, year) to kronor or None (no frame: an existing one is removed); `versions` maps
    the same keys to the version of each existing frame the user loaded, so a frame someone else changed meanwhile
    is refused. Every problem is reported, each naming the organisation and the year; then nothing is saved.
    """
    versions = versions or {}
    decision = BudgetDecision.objects.select_for_update().select_related("budget").get(pk=decision.pk)
    if decision.is_decided:
        raise ValidationError(LOCKED_MESSAGE)
    existing = {
        (frame.organisation_id, frame.year): frame
        for frame in decision.frames.select_related("organisation").prefetch_related("adjustments")
    }
    errors = []
    changed = 0
    for (organisation, year), amount in amounts.items():
        frame = existing.get((organisation.pk, year))
        where = f"{organisation.label} {year}"
        try:
            if amount is None:
                if frame is None:
                    continue
                if frame.adjustments.all():
                    raise ValidationError(
                        _("Ramen har justeringar. Ange ett belopp, eller ta bort justeringarna först.")
                    )
                expected = versions.get((organisation.pk, year))
                if expected is not None and expected != frame.version:
                    raise StaleObjectError()
                frame.decision = decision
                object_delete(frame, user=user, reason=reason)
                changed += 1
            elif frame is None:
                frame = Frame(decision=decision, organisation=organisation, year=year, amount=amount)
                frame.is_example = decision.is_example
                object_save(frame, user=user, reason=reason)
                changed += 1
            elif frame.amount != amount:
                frame.decision = decision
                frame.amount = amount
                object_save(frame, user=user, expected_version=versions.get((organisation.pk, year)), reason=reason)
                changed += 1
        except ValidationError as error:
            errors.extend(f"{where}: {message}" for message in error.messages)
    if errors:
        raise ValidationError(errors)
    return changed


def adjustment_save(adjustment, *, user, expected_version=None, reason=""):
    """Create or change an adjustment of a frame of a draft decision (FrameAdjustment.clean refuses decided ones)."""
    return object_save(adjustment, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def adjustment_delete(adjustment, *, user, reason=""):
    if FrameAdjustment.objects.filter(pk=adjustment.pk, frame__decision__status=DecisionStatus.DECIDED).exists():
        raise ValidationError(LOCKED_MESSAGE)
    object_delete(adjustment, user=user, reason=reason)


def assumptions_save(assumptions, *, user, expected_version=None, reason=""):
    """Create or change the planning prerequisites of one year of a budget."""
    return object_save(assumptions, user=user, expected_version=expected_version, reason=reason)


# --- The årshjul ------------------------------------------------------------------------------------------------------


def _month_day(year, month, *, last=False):
    day = calendar_module.monthrange(year, month)[1] if last else 1
    return datetime.date(year, month, day)


def standard_milestones(*, year, council, executive_board):
    """The steps of the budget process for `year` as 004 describes them, with the three follow-ups.

    The budget prepared in `year` is next year's (with plan for the two after it); in an election year the council
    takes a complementary frame decision in November. Months only, except where a date is given later.
    """
    budget_year = year + 1
    plan = {"budget_year": budget_year, "first": budget_year + 1, "last": budget_year + 2}
    steps = [
        (
            MilestoneKind.ANNUAL_REPORT,
            4,
            council,
            "KF",
            _("Årsredovisning %(year)s: uppföljning till och med december (bokslut).") % {"year": year - 1},
        ),
        (
            MilestoneKind.PREREQUISITES,
            2,
            executive_board,
            "KS",
            _(
                "Ekonomiavdelningen tar fram planeringsförutsättningar för budget %(budget_year)s med plan "
                "%(first)s–%(last)s som underlag för beslut av kommunstyrelsen."
            )
            % plan,
        ),
        (
            MilestoneKind.PRELIMINARY_FRAMES,
            3,
            executive_board,
            "KS",
            _("Preliminära budgetramar utifrån skatteprognos, demografiska förändringar med mera."),
        ),
        (
            MilestoneKind.PREPARATION,
            4,
            executive_board,
            "KS",
            _("Budgetberedningar där även oppositionen deltar; majoriteten lägger sedan fram sitt budgetförslag."),
        ),
        (
            MilestoneKind.FOLLOW_UP_T1,
            5,
            executive_board,
            "KS",
            _("Budgetuppföljning: uppföljning till och med april samt årsprognos."),
        ),
        (
            MilestoneKind.FRAME_BUDGET,
            6,
            council,
            "KF",
            _("Kommunfullmäktige beslutar om rambudget %(budget_year)s med plan %(first)s–%(last)s.") % plan,
        ),
        (
            MilestoneKind.FOLLOW_UP_T2,
            10,
            council,
            "KF",
            _("Delårsrapport: uppföljning till och med augusti samt årsprognos (delårsbokslut)."),
        ),
    ]
    if is_election_year(year):
        steps.append(
            (
                MilestoneKind.COMPLEMENTARY,
                11,
                council,
                "KF",
                _("Valår: kommunfullmäktige tar ett kompletterande beslut om budgetramarna för %(budget_year)s.")
                % plan,
            )
        )
    steps.append(
        (
            MilestoneKind.DETAILED_BUDGET,
            11,
            executive_board,
            _("Nämnderna, KS"),
            _("Nämnderna fastställer sin detaljbudget utifrån ramarna och återrapporterar den till kommunstyrelsen."),
        )
    )
    milestones = []
    for position, (kind, month, responsible, body, description) in enumerate(steps):
        milestones.append(
            Milestone(
                kind=kind,
                date=_month_day(year, month),
                month_only=True,
                responsible=responsible,
                body=str(body),
                description=str(description),
                position=position,
            )
        )
    return milestones


def calendar_save(calendar, *, user, expected_version=None, reason=""):
    return object_save(calendar, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def calendar_create(calendar, *, user, standard=False, reason=""):
    """Save a new årshjul; with `standard`, fill it with the steps of the budget process (standard_milestones)."""
    if not calendar.title:
        calendar.title = _("Årshjul %(year)s") % {"year": calendar.year}
    calendar_save(calendar, user=user, reason=reason)
    if standard:
        organisations = Organisation.objects.filter(
            municipality_id=calendar.municipality_id,
            kind__in=(OrganisationKind.COUNCIL, OrganisationKind.EXECUTIVE_BOARD),
        ).order_by("tree_id", "lft")
        council = next((o for o in organisations if o.kind == OrganisationKind.COUNCIL), None)
        executive_board = next((o for o in organisations if o.kind == OrganisationKind.EXECUTIVE_BOARD), council)
        for milestone in standard_milestones(year=calendar.year, council=council, executive_board=executive_board):
            milestone.calendar = calendar
            milestone.is_example = calendar.is_example
            milestone_save(milestone, user=user, reason=reason)
    return calendar


def milestone_save(milestone, *, user, expected_version=None, reason=""):
    """Create or change a step of the årshjul (a month-only date is kept as the first of its month)."""
    return object_save(milestone, user=user, expected_version=expected_version, reason=reason)


def milestone_status_update(milestone, *, status, user, reason=""):
    """Report how far a step has come (planerad, pågår, klar), with an optional comment kept in the history."""
    if status not in MilestoneStatus.values:
        raise ValidationError({"status": _("Välj en giltig status.")})
    milestone.status = status
    return object_save(milestone, user=user, reason=reason)


__all__ = [
    "adjustment_delete",
    "adjustment_save",
    "assumptions_save",
    "budget_decision_create",
    "budget_decision_decide",
    "budget_decision_delete",
    "budget_decision_new_version",
    "budget_create",
    "budget_decision_save",
    "budget_save",
    "calendar_create",
    "calendar_save",
    "frame_save",
    "frame_table_save",
    "milestone_save",
    "milestone_status_update",
    "standard_milestones",
]
