"""
Generic object views (NetBox style: one small class per action, settings as class attributes) and the views of the
shared core: home, organisation page, the styrdokument register and the change history of any tracked object.
"""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import SteeringDocumentFilterForm, SteeringDocumentForm, apply_validation_error
from .models import Municipality, Organisation, SteeringDocument
from .permissions import ADMIN, CHANGE, VIEW, can, editable_organisations, require, restrict


def safe_next_url(request, default):
    """The `next` parameter if it points into this site, else `default`."""
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return default


def errors_to_messages(request, *, form=None, error=None):
    """Show a form's errors, or a service's ValidationError, as messages that name their field (for POST-only
    actions that redirect back to the page they came from)."""
    if form is not None:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    if error is not None:
        for message in error.messages:
            messages.error(request, message)


def redirect_after_write(request, url):
    """Redirect, or tell htmx to navigate when the form was edited in place."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class ObjectView(View):
    """Show one object the user may see (outside the scope: 404)."""

    queryset = None
    template_name = None

    def get_object(self, **kwargs):
        return get_object_or_404(restrict(self.queryset.all(), self.request.user, VIEW), pk=kwargs["pk"])

    def get_extra_context(self, obj):
        return {}

    def get(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        context = {"object": obj, "can_change": can(request.user, obj, CHANGE), **self.get_extra_context(obj)}
        return render(request, self.template_name, context)


class ObjectEditView(View):
    """
    Add or edit one object (one view for both). Restricted queryset → permission → form → service inside a
    transaction → check the saved object is still within the user's rights (else roll back) → message → redirect.
    With htmx the form is rendered in place and a successful save navigates to the result.
    """

    queryset = None
    form_class = None
    template_name = "generic/object_edit.html"
    partial_template_name = "generic/inc/object_form.html"
    action = CHANGE

    def get_object(self, **kwargs):
        if "pk" in kwargs:
            return get_object_or_404(restrict(self.queryset.all(), self.request.user, VIEW), pk=kwargs["pk"])
        return self.new_object(**kwargs)

    def new_object(self, **kwargs):
        return self.queryset.model()

    def get_form_kwargs(self, obj):
        return {"instance": obj, "user": self.request.user}

    def save(self, form, *, expected_version, reason):
        """Write through the service; subclasses call their own."""
        obj = services.object_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )
        form.save_m2m()
        return obj

    def get_success_url(self, obj):
        return safe_next_url(self.request, obj.get_absolute_url())

    def get_cancel_url(self, obj):
        return safe_next_url(self.request, obj.get_absolute_url() if obj.pk else "/")

    def get_extra_context(self, obj):
        return {}

    def render_form(self, obj, form, status=200):
        template = self.partial_template_name if getattr(self.request, "htmx", False) else self.template_name
        context = {
            "object": obj,
            "form": form,
            "cancel_url": self.get_cancel_url(obj),
            "verbose_name": obj._meta.verbose_name,
            "is_new": obj.pk is None,
            **self.get_extra_context(obj),
        }
        return render(self.request, template, context, status=status)

    def get(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        return self.render_form(obj, self.form_class(**self.get_form_kwargs(obj)))

    def post(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        is_new = obj.pk is None
        form = self.form_class(data=request.POST, files=request.FILES, **self.get_form_kwargs(obj))
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save(
                        form,
                        expected_version=form.cleaned_data.get("expected_version"),
                        reason=form.cleaned_data.get("change_reason", ""),
                    )
                    if not restrict(type(obj).objects.filter(pk=obj.pk), request.user, self.action).exists():
                        raise PermissionDenied
            except ValidationError as error:
                if is_new:
                    form.instance.pk = None
                apply_validation_error(form, error)
            else:
                message = _("%(name)s har skapats.") if is_new else _("%(name)s har sparats.")
                messages.success(request, message % {"name": str(obj)})
                return redirect_after_write(request, self.get_success_url(obj))
        return self.render_form(obj, form)


class ObjectDeleteView(View):
    """Confirm and delete one object."""

    queryset = None
    template_name = "generic/object_delete.html"
    action = CHANGE

    def get_object(self, **kwargs):
        return get_object_or_404(restrict(self.queryset.all(), self.request.user, VIEW), pk=kwargs["pk"])

    def get_success_url(self, obj):
        raise NotImplementedError

    def get(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        return render(request, self.template_name, {"object": obj, "cancel_url": obj.get_absolute_url()})

    def post(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        success_url = self.get_success_url(obj)
        try:
            services.object_delete(obj, user=request.user, reason=request.POST.get("change_reason", ""))
        except ValidationError as error:
            errors_to_messages(request, error=error)
            return redirect(obj.get_absolute_url())
        messages.success(request, _("%(name)s har tagits bort.") % {"name": str(obj)})
        return redirect_after_write(request, success_url)


def municipality_for(request, slug):
    """The municipality named in the URL, if the user may see it (else 404)."""
    return get_object_or_404(restrict(Municipality.objects.all(), request.user, VIEW), slug=slug)


def home(request):
    """Send the user to their municipality's Huset, or let them choose when they belong to several."""
    municipalities = list(restrict(Municipality.objects.all(), request.user, VIEW))
    if len(municipalities) == 1:
        return redirect(municipalities[0].get_absolute_url())
    return render(request, "styrning/home.html", {"municipalities": municipalities})


# --- Styrdokument -------------------------------------------------------------------------------------------------


def document_list(request, municipality):
    """The styrdokument register of a municipality, filterable, with overdue revisions marked."""
    municipality = municipality_for(request, municipality)
    form = SteeringDocumentFilterForm(request.GET or None, municipality=municipality)
    filters = form.cleaned_data if form.is_valid() else {}
    documents = selectors.document_list(municipality=municipality, user=request.user, filters=filters)
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    can_add = editable_organisations(request.user, Organisation.objects.filter(municipality=municipality)).exists()
    return render(
        request,
        "styrning/document_list.html",
        {"municipality": municipality, "filter_form": form, "page": page, "can_add": can_add},
    )


class SteeringDocumentView(ObjectView):
    queryset = SteeringDocument.objects.select_related("municipality", "organisation", "decided_by")
    template_name = "styrning/document.html"

    def get_extra_context(self, obj):
        return {
            "goals": obj.goals.select_related("organisation").order_by("tree_id", "lft"),
            "municipality": obj.municipality,
        }


def document_file(request, pk):
    """Serve a document's file to those who may see the document (uploaded files are never public URLs)."""
    document = get_object_or_404(restrict(SteeringDocument.objects.all(), request.user, VIEW), pk=pk)
    if not document.file:
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=False, filename=document.file.name.rsplit("/", 1)[-1])


class SteeringDocumentEditView(ObjectEditView):
    queryset = SteeringDocument.objects.select_related("municipality", "organisation")
    form_class = SteeringDocumentForm

    def new_object(self, **kwargs):
        municipality = municipality_for(self.request, kwargs["municipality"])
        organisation = Organisation.objects.filter(municipality=municipality)
        organisation = editable_organisations(self.request.user, organisation).order_by("tree_id", "lft").first()
        if organisation is None:
            raise PermissionDenied
        return SteeringDocument(municipality=municipality, organisation=organisation)

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "municipality": obj.municipality}

    def get_cancel_url(self, obj):
        if obj.pk:
            return obj.get_absolute_url()
        return safe_next_url(self.request, f"/kommun/{obj.municipality.slug}/styrdokument/")

    def get_extra_context(self, obj):
        return {"municipality": obj.municipality}

    def save(self, form, *, expected_version, reason):
        return services.document_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class SteeringDocumentDeleteView(ObjectDeleteView):
    queryset = SteeringDocument.objects.select_related("municipality", "organisation")

    def get_success_url(self, obj):
        from django.urls import reverse

        return reverse("styrning:document_list", args=[obj.municipality.slug])


# --- History --------------------------------------------------------------------------------------------------------


def _history_model(model_label):
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError) as exc:
        raise Http404 from exc
    if not hasattr(model, "history") or not hasattr(model, "organisation_path"):
        raise Http404
    return model


def object_history(request, model_label, pk):
    """Who changed what and when, with the changed fields of each version; administrators may revert."""
    model = _history_model(model_label)
    obj = get_object_or_404(restrict(model.objects.all(), request.user, VIEW), pk=pk)
    entries = selectors.history_entries(obj)
    return render(
        request,
        "styrning/history.html",
        {"object": obj, "entries": entries, "can_revert": can(request.user, obj, ADMIN), "model_label": model_label},
    )


@require_POST
def object_history_revert(request, model_label, pk, history_id):
    """Restore an earlier version as a new version (administrators only)."""
    model = _history_model(model_label)
    obj = get_object_or_404(restrict(model.objects.all(), request.user, VIEW), pk=pk)
    require(request.user, obj, ADMIN)
    record = get_object_or_404(obj.history.all(), history_id=history_id)
    try:
        services.object_revert(obj, record=record, user=request.user)
    except ValidationError as error:
        errors_to_messages(request, error=error)
    else:
        messages.success(request, _("Versionen har återställts."))
    return redirect(obj.get_absolute_url())
