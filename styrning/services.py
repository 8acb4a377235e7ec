"""
Writes of the shared core. `object_save` is the one path by which a tracked object is validated, checked
for a concurrent edit (optimistic locking on `version`) and saved with its history reason and user.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Membership, Municipality, Organisation

STALE_MESSAGE = gettext_lazy(
    "Någon annan har sparat ändringar i det här objektet medan du redigerade. "
    "Ladda om sidan för att se den senaste versionen och gör sedan om din ändring."
)


class StaleObjectError(ValidationError):
    """The object changed in the database after the user loaded it."""

    def __init__(self):
        super().__init__(str(STALE_MESSAGE), code="stale")


HISTORY_REASON_LENGTH = 100  # the length of simple-history's history_change_reason column


def history_reason(reason):
    """`reason` cut to fit the history's reason column, ending in "…" when cut. Reasons quote what users write (a
    status comment, an uploaded file's name); PostgreSQL refuses a value that is too long, and the save with it."""
    if reason and len(reason) > HISTORY_REASON_LENGTH:
        return reason[: HISTORY_REASON_LENGTH - 1].rstrip() + "…"
    return reason


def _set_history(obj, *, user, reason):
    obj._history_user = user if user is not None and user.is_authenticated else None
    obj._change_reason = history_reason(reason) or None


@transaction.atomic
def object_save(obj, *, user, expected_version=None, reason=""):
    """Validate and save `obj`, refusing the save if someone else saved it since `expected_version` was read.

    One query locks the row (SELECT … FOR UPDATE) for the version check; the save writes the row and its history.
    """
    if obj.pk is not None:
        current = type(obj).objects.select_for_update().filter(pk=obj.pk).values_list("version", flat=True).first()
        if current is None:
            raise ValidationError(_("Objektet finns inte längre; det kan ha tagits bort av någon annan."))
        if expected_version is not None and current != expected_version:
            raise StaleObjectError()
        obj.version = current + 1
    obj.full_clean()
    _set_history(obj, user=user, reason=reason)
    obj.save()
    return obj


@transaction.atomic
def object_delete(obj, *, user, reason=""):
    """Delete `obj`, recording who did it; PROTECT relations are reported as a Swedish message."""
    from django.db.models import ProtectedError

    _set_history(obj, user=user, reason=reason)
    try:
        obj.delete()
    except ProtectedError as exc:
        names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:5])
        raise ValidationError(
            _("Det går inte att ta bort %(obj)s eftersom annat hänger på det: %(names)s.")
            % {"obj": obj, "names": names}
        ) from exc


# Fields that a revert never copies back: identity, bookkeeping and the tree's own numbering.
_REVERT_SKIP = {"id", "created", "updated", "version", "lft", "rght", "tree_id", "depth", "level"}


@transaction.atomic
def object_revert(obj, *, record, user):
    """Restore the field values of history `record` onto `obj` and save it as a new version (never rewrites history).

    Tree models move through MPTT's save when the parent differs; their numbering is never copied back.
    """
    for field in type(obj)._meta.concrete_fields:
        if field.attname in _REVERT_SKIP or field.name in _REVERT_SKIP:
            continue
        if getattr(type(obj), "_mptt_meta", None) and field.attname in {"lft", "rght", "tree_id"}:
            continue
        setattr(obj, field.attname, getattr(record, field.attname))
    reason = _("Återställd till versionen från %(date)s") % {"date": record.history_date.strftime("%Y-%m-%d %H:%M")}
    return object_save(obj, user=user, reason=reason)


@transaction.atomic
def organisation_create(*, municipality, parent, user, reason="", **fields):
    """Create an organisation under `parent` in `municipality`."""
    org = Organisation(municipality=municipality, parent=parent, **fields)
    return object_save(org, user=user, reason=reason)


@transaction.atomic
def municipality_create(*, name, slug, user, code="", council_name=None, reason="", is_example=False):
    """Create a municipality with its root organisation, kommunfullmäktige."""
    municipality = object_save(
        Municipality(name=name, slug=slug, code=code, is_example=is_example), user=user, reason=reason
    )
    organisation_create(
        municipality=municipality,
        parent=None,
        user=user,
        reason=reason,
        name=council_name or _("Kommunfullmäktige"),
        short_name="KF",
        kind="council",
        code="KF",
        is_example=is_example,
    )
    return municipality


def membership_grant(*, user, organisation, role, granted_by, reason=""):
    """Give `user` a role in `organisation`, or change the role they have there."""
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    if membership is None:
        membership = Membership(user=user, organisation=organisation)
    membership.role = role
    return object_save(membership, user=granted_by, reason=reason)


def document_save(document, *, user, expected_version=None, reason=""):
    """Save a styrdokument; its municipality follows its organisation."""
    if document.organisation_id:
        document.municipality_id = document.organisation.municipality_id
    return object_save(document, user=user, expected_version=expected_version, reason=reason)


__all__ = [
    "STALE_MESSAGE",
    "StaleObjectError",
    "document_save",
    "membership_grant",
    "municipality_create",
    "object_delete",
    "object_revert",
    "object_save",
    "organisation_create",
]
