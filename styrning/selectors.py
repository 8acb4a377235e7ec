"""Reads of the shared core that several views share. Every queryset passes through permissions.restrict."""

from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import DocumentKind, document_kinds_in_group
from .models import Membership, Organisation, SteeringDocument
from .permissions import VIEW, restrict


def document_kind_order():
    """Order styrdokument as the register groups them: aktiverande, normerande, then the others (DocumentKind order)."""
    return Case(*(When(kind=kind, then=Value(i)) for i, kind in enumerate(DocumentKind.values)), default=Value(99))


def document_list(*, municipality, user, filters=None):
    """The styrdokument of a municipality the user may see, filtered by the register's filter form."""
    filters = filters or {}
    qs = restrict(SteeringDocument.objects.filter(municipality=municipality), user, VIEW)
    qs = qs.select_related("organisation", "decided_by")
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(Q(title__icontains=q) | Q(registration_number__icontains=q) | Q(summary__icontains=q))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("group"):
        qs = qs.filter(kind__in=document_kinds_in_group(filters["group"]))
    if filters.get("organisation"):
        org = filters["organisation"]
        qs = qs.filter(
            organisation__tree_id=org.tree_id, organisation__lft__gte=org.lft, organisation__rght__lte=org.rght
        )
    if filters.get("revision_overdue"):
        qs = qs.filter(revision_due__lt=timezone.localdate())
    return qs.order_by(document_kind_order(), "title")


def current_documents(*, municipality, user, limit=12):
    """Documents in force (not past their revision date first), newest decision first; for Huset."""
    qs = restrict(SteeringDocument.objects.filter(municipality=municipality), user, VIEW)
    return list(qs.select_related("decided_by").order_by(F("decided_on").desc(nulls_last=True), "title")[:limit])


def organisation_page(*, organisation, user):
    """What the organisation page shows: its children, members and documents."""
    children = restrict(organisation.get_children(), user, VIEW)
    members = restrict(
        Membership.objects.filter(organisation=organisation).select_related("user"), user, VIEW
    ).order_by("role", "user__username")
    documents = restrict(SteeringDocument.objects.filter(organisation=organisation), user, VIEW)
    return {
        "ancestors": list(organisation.get_ancestors()),
        "children": list(children),
        "members": list(members),
        "documents": list(documents.order_by("kind", "title")),
        "municipality": organisation.municipality,
    }


def organisation_tree(*, municipality, user):
    """The whole organisation tree of a municipality in tree order (one query)."""
    return list(restrict(Organisation.objects.filter(municipality=municipality), user, VIEW).order_by("tree_id", "lft"))


def history_entries(obj, limit=100):
    """The object's history, newest first, each with the fields changed from the version before it.

    Two queries: the history rows (with their users) and, per related model named in a change, its objects' names.
    """
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    model = type(obj)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    skip = {"updated", "version", "created", "lft", "rght", "tree_id", "depth"}
    entries = []
    related_ids = {}
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            for name, field in fields.items():
                if name in skip or name == "id":
                    continue
                old, new = getattr(previous, name, None), getattr(record, name, None)
                if old != new:
                    changes.append({"field": field, "old": old, "new": new})
                    if field.is_relation:
                        related_ids.setdefault(field.related_model, set()).update(v for v in (old, new) if v)
        entries.append({"record": record, "changes": changes, "is_first": previous is None})
    names = {}
    for related_model, ids in related_ids.items():
        names[related_model] = {o.pk: str(o) for o in related_model.objects.filter(pk__in=ids)}
    for entry in entries:
        for change in entry["changes"]:
            field = change["field"]
            change["label"] = field.verbose_name
            change["old_display"] = _display(field, change["old"], names)
            change["new_display"] = _display(field, change["new"], names)
    return entries


def _display(field, value, names):
    if value in (None, ""):
        return "–"
    if field.is_relation:
        return names.get(field.related_model, {}).get(value, f"#{value}")
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    return value
