"""Forms of the assignments: giving one, reporting its status, deciding about it, money, and the list filter."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from goals.models import Goal
from styrning.forms import BaseModelForm, SwedishDecimalField
from styrning.models import Organisation
from styrning.money import to_kronor
from styrning.permissions import editable_organisations

from .choices import REPORTED_STATUSES, AssignmentStatus, DecisionKind
from .models import GIVING_KINDS, Assignment, AssignmentAmount


def _org_label(org):
    return "\u2003" * org.level + org.name


def _goal_choices(municipality):
    return (
        Goal.objects.filter(municipality=municipality, level__in=(1, 2))
        .exclude(kind="activity")
        .order_by("tree_id", "lft")
    )


class KronorField(SwedishDecimalField):
    """An amount in whole kronor, typed as Swedes write it ("2 000 000")."""

    default_error_messages = {"invalid": _("Ange beloppet i kronor, till exempel 2 000 000.")}

    def clean(self, value):
        value = super().clean(value)
        return None if value is None else to_kronor(value)


class AssignmentForm(BaseModelForm):
    """Give an assignment: what, to whom, when, in which decision."""

    decided_by = forms.ModelChoiceField(label=_("Beslutande organ"), queryset=Organisation.objects.none())
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    paragraph = forms.CharField(label=_("Paragraf (§)"), max_length=20, required=False)
    registration_number = forms.CharField(label=_("Diarienummer"), max_length=50, required=False)

    class Meta(BaseModelForm.Meta):
        model = Assignment
        fields = (
            "code",
            "title",
            "kind",
            "description",
            "given_by",
            "lead",
            "receivers",
            "start_year",
            "end_year",
            "due_date",
            "goals",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "due_date": forms.DateInput,
            "receivers": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        orgs = Organisation.objects.filter(municipality=municipality).order_by("tree_id", "lft")
        givers = editable_organisations(self.user, orgs.filter(kind__in=GIVING_KINDS))
        self.fields["given_by"].queryset = givers
        self.fields["decided_by"].queryset = orgs.filter(kind__in=GIVING_KINDS)
        self.fields["lead"].queryset = orgs
        self.fields["lead"].label_from_instance = _org_label
        self.fields["receivers"].queryset = orgs.exclude(kind="council")
        self.fields["receivers"].help_text = _("Den ansvariga organisationen räknas alltid som mottagare.")
        self.fields["receivers"].required = False
        self.fields["goals"].queryset = _goal_choices(municipality)
        self.fields["goals"].help_text = _("Håll ned Ctrl (Cmd på Mac) för att välja flera mål.")
        self.fields["start_year"].initial = timezone.localdate().year
        self.order_fields(
            [
                "code",
                "title",
                "kind",
                "description",
                "given_by",
                "decided_by",
                "decided_on",
                "paragraph",
                "registration_number",
            ]
        )

    def decision(self):
        return {key: self.cleaned_data[key] for key in ("decided_by", "decided_on", "paragraph", "registration_number")}


class AmountForm(forms.Form):
    """One sum that comes with the assignment: to whom, which year, how much."""

    organisation = forms.ModelChoiceField(label=_("Tillförs"), queryset=Organisation.objects.none(), required=False)
    year = forms.IntegerField(label=_("År"), min_value=1990, max_value=2100, required=False)
    amount = KronorField(label=_("Belopp (kr)"), required=False)
    comment = forms.CharField(label=_("Kommentar"), max_length=200, required=False)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(municipality=municipality).exclude(
            kind="council"
        )

    def clean(self):
        cleaned = super().clean()
        filled = [cleaned.get(k) not in (None, "") for k in ("organisation", "year", "amount")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Ange mottagare, år och belopp för pengarna, eller lämna raden tom."))
        return cleaned


AmountFormSet = forms.formset_factory(AmountForm, extra=3, max_num=10)


class AmountEditForm(BaseModelForm):
    amount = KronorField(label=_("Belopp (kr)"))

    class Meta(BaseModelForm.Meta):
        model = AssignmentAmount
        fields = ("organisation", "year", "amount", "comment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = self.instance.assignment.receivers.all()


class StatusReportForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Rapporteras av"), queryset=Organisation.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=[(s.value, s.label) for s in REPORTED_STATUSES])
    comment = forms.CharField(label=_("Kommentar"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, assignment, user, **kwargs):
        super().__init__(*args, **kwargs)
        receivers = assignment.receivers.all().order_by("tree_id", "lft")
        self.fields["organisation"].queryset = editable_organisations(user, receivers)
        self.fields["status"].initial = (
            assignment.status if assignment.status in REPORTED_STATUSES else AssignmentStatus.ONGOING
        )


class DecisionForm(forms.Form):
    """A later decision about the assignment: change, extend or end it, with the decision reference."""

    kind = forms.ChoiceField(
        label=_("Beslut"), choices=[(k.value, k.label) for k in DecisionKind if k != DecisionKind.GIVEN]
    )
    decided_by = forms.ModelChoiceField(label=_("Beslutande organ"), queryset=Organisation.objects.none())
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    paragraph = forms.CharField(label=_("Paragraf (§)"), max_length=20, required=False)
    registration_number = forms.CharField(label=_("Diarienummer"), max_length=50, required=False)
    budget_year = forms.IntegerField(label=_("I budgeten för år"), min_value=1990, max_value=2100)
    title = forms.CharField(label=_("Rubrik"), max_length=300)
    description = forms.CharField(label=_("Beskrivning"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    due_date = forms.DateField(
        label=_("Ska vara klart"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    end_year = forms.IntegerField(label=_("Sista år"), min_value=1990, max_value=2100, required=False)
    comment = forms.CharField(label=_("Motivering"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, assignment, **kwargs):
        initial = {
            "title": assignment.title,
            "description": assignment.description,
            "due_date": assignment.due_date,
            "end_year": assignment.end_year,
            "decided_by": assignment.given_by_id,
            "budget_year": timezone.localdate().year + 1,
        }
        initial.update(kwargs.pop("initial", {}))
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["decided_by"].queryset = Organisation.objects.filter(
            municipality=assignment.municipality, kind__in=GIVING_KINDS
        )
        self.fields["title"].help_text = _("Bara det som ändras jämfört med nu sparas i beslutet.")

    def decision(self):
        return {key: self.cleaned_data[key] for key in ("decided_by", "decided_on", "paragraph", "registration_number")}

    def changes(self):
        return {key: self.cleaned_data[key] for key in ("title", "description", "due_date", "end_year")}


class AssignmentFilterForm(forms.Form):
    q = forms.CharField(label=_("Sök"), required=False)
    given_by = forms.ModelChoiceField(label=_("Givet av"), queryset=Organisation.objects.none(), required=False)
    receiver = forms.ModelChoiceField(label=_("Mottagare"), queryset=Organisation.objects.none(), required=False)
    year = forms.IntegerField(label=_("År"), required=False, min_value=1990, max_value=2100)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Alla"))] + AssignmentStatus.choices, required=False)
    goal = forms.ModelChoiceField(label=_("Mål"), queryset=Goal.objects.none(), required=False)
    overdue = forms.BooleanField(label=_("Endast försenade"), required=False)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = Organisation.objects.filter(municipality=municipality).order_by("tree_id", "lft")
        self.fields["given_by"].queryset = orgs.filter(kind__in=GIVING_KINDS)
        self.fields["given_by"].empty_label = _("Alla")
        self.fields["receiver"].queryset = orgs
        self.fields["receiver"].label_from_instance = _org_label
        self.fields["receiver"].empty_label = _("Alla")
        self.fields["goal"].queryset = _goal_choices(municipality)
        self.fields["goal"].empty_label = _("Alla")
