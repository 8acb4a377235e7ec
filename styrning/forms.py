"""Base form classes: every edit form carries the version it was loaded at and an optional change comment."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Organisation, SteeringDocument
from .permissions import editable_organisations


class SwedishDecimalField(forms.DecimalField):
    """A decimal field that reads numbers as Swedes write them: "12,5", "1 234" and "−3" all parse."""

    default_error_messages = {"invalid": _("Ange ett tal, till exempel 12,5 eller 1 234.")}

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
            value = value.replace("\u2212", "-").replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        attrs["inputmode"] = "decimal"
        return attrs


class SwedishDecimalInput(forms.TextInput):
    """Shows a stored Decimal with a decimal comma and without trailing zeros."""

    def format_value(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
        return text.replace(".", ",")


def model_formfield(field, **kwargs):
    """The form field for a model field: decimals read as Swedes write them, links assumed to be https."""
    if isinstance(field, models.DecimalField):
        return field.formfield(form_class=SwedishDecimalField, widget=SwedishDecimalInput, **kwargs)
    if isinstance(field, models.URLField):
        return field.formfield(assume_scheme="https", **kwargs)
    return field.formfield(**kwargs)


class BaseModelForm(forms.ModelForm):
    """
    A ModelForm for tracked models. `expected_version` is the version the user loaded, so a stale save is refused
    (styrning.services.object_save); `change_reason` becomes the history row's reason.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label=_("Kommentar till ändringen"),
        required=False,
        max_length=200,
        help_text=_("Valfri. Sparas i historiken."),
    )

    class Meta:
        formfield_callback = model_formfield

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        for field in self.fields.values():
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
                field.widget.format = "%Y-%m-%d"


def apply_validation_error(form, error):
    """Put a ValidationError raised by a service onto the form, field by field where the form has the field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class SteeringDocumentForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = SteeringDocument
        fields = (
            "title",
            "kind",
            "organisation",
            "summary",
            "decided_by",
            "decided_on",
            "paragraph",
            "registration_number",
            "valid_from",
            "revision_due",
            "file",
            "url",
        )
        widgets = {"decided_on": forms.DateInput, "valid_from": forms.DateInput, "revision_due": forms.DateInput}

    def __init__(self, *args, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        municipality = municipality or self.instance.municipality
        orgs = Organisation.objects.filter(municipality=municipality)
        self.fields["organisation"].queryset = editable_organisations(self.user, orgs)
        self.fields["decided_by"].queryset = orgs.filter(
            kind__in=("council", "executive_board", "committee", "company")
        )


class SteeringDocumentFilterForm(forms.Form):
    q = forms.CharField(label=_("Sök"), required=False)
    kind = forms.ChoiceField(label=_("Typ"), required=False)
    group = forms.ChoiceField(label=_("Grupp"), required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=False)
    revision_overdue = forms.BooleanField(label=_("Endast de som ska ha reviderats"), required=False)

    def __init__(self, *args, municipality, **kwargs):
        from .choices import DocumentGroup, DocumentKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Alla typer")), *DocumentKind.choices]
        self.fields["group"].choices = [("", _("Alla grupper")), *DocumentGroup.choices]
        self.fields["organisation"].queryset = Organisation.objects.filter(municipality=municipality)
        self.fields["organisation"].empty_label = _("Alla organisationer")
