"""
Per-object permissions: the one module every view and selector goes through.

Rules (DESIGN.md "Who uses it"):
- A user sees everything of the municipalities where they hold any membership, and nothing of any other.
- A membership gives its role in an organisation and the whole subtree below it.
- Editors (tjänstepersoner) and administrators change what belongs to organisations in their subtree; a model may
  narrow this to administrators (`change_roles`). What an adopted plan holds is locked for editors (`lock_path`).
- Reviewers (förtroendevalda) read; they never change officials' texts.
- Municipality-wide objects (vision, värdegrund, mandate periods) are changed by administrators of the root (KF).
- Administrators may still correct what an adopted plan holds, unless the model says its lock holds for them too
  (`lock_applies_to_admins`: a decided budget is changed by a new decision, never in place).
- Approval travels upward (follow-up reports): an object is approved by the reviewers (förtroendevalda) of its
  organisation or above, or by editors and administrators of a level above it, never by those of its own level.
- Superusers (the Django admin's staff) see and change everything; history still records every write.

Views fetch with `restrict(queryset, user, VIEW)` (outside the scope: 404) and then check `can(user, obj, CHANGE)`
(read-only: 403). Both come from the same rules: `restrict` as SQL, `can` in Python on loaded objects.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from .choices import Role

VIEW = "view"
CHANGE = "change"  # edit what a plan holds; refused for editors once the plan is adopted
REPORT = "report"  # follow-up entries (outcomes, activity status): allowed after adoption
ADMIN = "admin"  # adopt plans, revert history, manage organisations
APPROVE = "approve"  # approve or return what an organisation sent in (reviewers, or a level above)

ACTIONS = (VIEW, CHANGE, REPORT, ADMIN, APPROVE)


class Scope:
    """A user's memberships, loaded once per request (one query) and kept on the user object."""

    def __init__(self, user):
        from .models import Membership

        self.is_superuser = bool(user.is_authenticated and user.is_active and user.is_superuser)
        if user.is_authenticated and user.is_active:
            self.memberships = list(Membership.objects.filter(user=user).select_related("organisation"))
        else:
            self.memberships = []
        self.municipality_ids = {m.organisation.municipality_id for m in self.memberships}
        self.root_admin_municipality_ids = {
            m.organisation.municipality_id
            for m in self.memberships
            if m.role == Role.ADMIN and m.organisation.parent_id is None
        }

    def roles_over(self, organisation):
        """The roles the user holds over `organisation` (through it or an ancestor)."""
        return {m.role for m in self.memberships if m.organisation.contains(organisation)}

    def organisations(self, roles):
        """The organisations where the user holds one of `roles` (their subtrees follow)."""
        return [m.organisation for m in self.memberships if m.role in roles]


def get_scope(user):
    """The user's Scope, cached on the user object for the request."""
    scope = getattr(user, "_styrning_scope", None)
    if scope is None:
        scope = Scope(user)
        user._styrning_scope = scope
    return scope


def _join(prefix, field):
    return f"{prefix}__{field}" if prefix else field


def _municipality_path(model):
    if model.municipality_path is not None:
        return model.municipality_path
    return _join(model.organisation_path, "municipality")


def _change_roles(model, action):
    return (Role.ADMIN,) if action == ADMIN else model.change_roles


def restrict(queryset, user, action=VIEW):
    """Narrow `queryset` to the objects `user` may perform `action` on (the SQL form of the rules above)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    model = queryset.model
    scope = get_scope(user)
    if action == CHANGE and model.lock_path and model.lock_applies_to_admins:
        queryset = queryset.exclude(**{_join(model.lock_path, "in"): model.locked_statuses})
    if scope.is_superuser:
        return queryset
    municipality_path = _municipality_path(model)
    municipality_lookup = _join(municipality_path, "in") if municipality_path else "pk__in"
    if action == VIEW:
        return queryset.filter(**{municipality_lookup: scope.municipality_ids})
    if model.organisation_path is None:
        return queryset.filter(**{municipality_lookup: scope.root_admin_municipality_ids})
    if action == APPROVE:
        return queryset.filter(_approve_condition(scope, model.organisation_path))
    roles = _change_roles(model, action)
    condition = Q(pk__in=[])
    for membership in scope.memberships:
        if membership.role not in roles:
            continue
        org = membership.organisation
        prefix = model.organisation_path
        in_subtree = Q(
            **{
                _join(prefix, "tree_id"): org.tree_id,
                _join(prefix, "lft__gte"): org.lft,
                _join(prefix, "rght__lte"): org.rght,
            }
        )
        if action == CHANGE and model.lock_path and membership.role != Role.ADMIN:
            in_subtree &= ~Q(**{_join(model.lock_path, "in"): model.locked_statuses})
        condition |= in_subtree
    return queryset.filter(condition)


def _approve_condition(scope, prefix):
    """SQL form of the approval rule: reviewers over the organisation, other roles strictly above it."""
    condition = Q(pk__in=[])
    for membership in scope.memberships:
        org = membership.organisation
        lower = "lft__gte" if membership.role == Role.REVIEWER else "lft__gt"
        upper = "rght__lte" if membership.role == Role.REVIEWER else "rght__lt"
        condition |= Q(
            **{
                _join(prefix, "tree_id"): org.tree_id,
                _join(prefix, lower): org.lft,
                _join(prefix, upper): org.rght,
            }
        )
    return condition


def _may_approve(scope, organisation):
    for membership in scope.memberships:
        if not membership.organisation.contains(organisation):
            continue
        if membership.role == Role.REVIEWER or membership.organisation.pk != organisation.pk:
            return True
    return False


def _resolve(obj, path):
    """Follow a `a__b__c` path on an instance; None if a link is missing. Queries unless the path is selected."""
    for name in filter(None, path.split("__")):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _municipality_id(obj):
    path = _municipality_path(type(obj))
    if not path:
        return obj.pk
    *head, last = path.split("__")
    holder = _resolve(obj, "__".join(head))
    return getattr(holder, f"{last}_id", None) if holder is not None else None


def is_locked(obj):
    """True if the object is held by an adopted plan (or another locking status)."""
    model = type(obj)
    return bool(model.lock_path) and _resolve(obj, model.lock_path) in model.locked_statuses


def can(user, obj, action=VIEW):
    """True if `user` may perform `action` on `obj` (a saved or a new, unsaved instance).

    Follows the object's organisation path: select the path with the object to avoid queries.
    """
    scope = get_scope(user)
    model = type(obj)
    if action == CHANGE and model.lock_applies_to_admins and is_locked(obj):
        return False
    if scope.is_superuser:
        return True
    if _municipality_id(obj) not in scope.municipality_ids:
        return False
    if action == VIEW:
        return True
    if model.organisation_path is None:
        return _municipality_id(obj) in scope.root_admin_municipality_ids
    organisation = _resolve(obj, model.organisation_path) if model.organisation_path else obj
    if organisation is None:
        return False
    if organisation.pk is None:  # a new organisation: the right comes from its parent
        organisation = organisation.parent
        if organisation is None:
            return False
    if action == APPROVE:
        return _may_approve(scope, organisation)
    roles = scope.roles_over(organisation) & set(_change_roles(model, action))
    if not roles:
        return False
    return not (action == CHANGE and Role.ADMIN not in roles and is_locked(obj))


def takes_part(user, organisation):
    """True if the user holds any role over `organisation` (its editors, reviewers and administrators, or above)."""
    scope = get_scope(user)
    return scope.is_superuser or bool(scope.roles_over(organisation))


def require(user, obj, action):
    """Raise PermissionDenied (403) unless `user` may perform `action` on `obj`."""
    if not can(user, obj, action):
        raise PermissionDenied


def editable_organisations(user, queryset, action=CHANGE):
    """The organisations (from `queryset`) in whose subtree the user may change things."""
    from .models import Organisation

    scope = get_scope(user)
    if scope.is_superuser:
        return queryset
    condition = Q(pk__in=[])
    roles = (Role.ADMIN,) if action == ADMIN else (Role.EDITOR, Role.ADMIN)
    for org in scope.organisations(roles):
        condition |= Q(tree_id=org.tree_id, lft__gte=org.lft, rght__lte=org.rght)
    assert queryset.model is Organisation
    return queryset.filter(condition)
