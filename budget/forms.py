"""Forms of Budget med plan and the årshjul. Amounts are typed in tkr as Swedes write them ("2 000", "412,5") and
stored as whole kronor."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment
from styrning.charts import format_number
from styrning.choices import OrganisationKind
from styrning.forms import BaseModelForm
from styrning.models import Organisation
from styrning.money import THOUSAND, to_kronor

from .choices import DECIDING_ORGANISATION_KINDS, DecisionKind, MilestoneStatus
from .models import Budget, BudgetAssumptions, BudgetDecision, Calendar, Frame, FrameAdjustment, Milestone


class TkrInput(forms.TextInput):
    """Shows an amount stored in kronor as tkr ("412 500,5"); what the user typed is shown back as typed."""

    def format_value(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        return format_number(Decimal(value) / THOUSAND)


class TkrField(forms.Field):
    """An amount typed in tkr ("1 234", "2 000,5", "−300"), cleaned to whole kronor (int, rounded half up)."""

    widget = TkrInput
    default_error_messages = {"invalid": _("Ange ett belopp i tkr, till exempel 1\u00a0234 eller 2\u00a0000,5.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        text = str(value).strip()
        for space in ("\u00a0", "\u202f", " "):
            text = text.replace(space, "")
        text = text.replace("\u2212", "-").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return to_kronor(number * THOUSAND)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs


def _deciding_bodies(municipality):
    return Organisation.objects.filter(municipality=municipality, kind__in=DECIDING_ORGANISATION_KINDS).order_by(
        "tree_id", "lft"
    )


class BudgetForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Budget
        fields = ("year", "title", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class BudgetDecisionForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = BudgetDecision
        fields = ("kind", "title", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class BudgetDecisionNewVersionForm(forms.Form):
    """The new version of a decided budget decision: what kind of decision it will be."""

    kind = forms.ChoiceField(label=_("Typ av beslut"), choices=DecisionKind.choices)
    title = forms.CharField(label=_("Rubrik"), max_length=200, required=False)


class BudgetDecisionDecideForm(forms.Form):
    """The reference of the decision that decided a version: body, date, § and diarienummer."""

    decided_by = forms.ModelChoiceField(label=_("Beslutande organ"), queryset=Organisation.objects.none())
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    paragraph = forms.CharField(label=_("Paragraf (§)"), max_length=20, required=False)
    registration_number = forms.CharField(label=_("Diarienummer"), max_length=50, required=False)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        bodies = _deciding_bodies(municipality)
        self.fields["decided_by"].queryset = bodies
        if not self.is_bound:
            # The budget is kommunfullmäktige's decision (004); KS is the other choice.
            self.fields["decided_by"].initial = (
                bodies.filter(kind=OrganisationKind.COUNCIL).values_list("pk", flat=True).first()
            )


class FrameForm(BaseModelForm):
    amount = TkrField(
        label=_("Ram före justeringar (tkr)"), help_text=_("Justeringar och uppdragens medel läggs till ramen.")
    )

    class Meta(BaseModelForm.Meta):
        model = Frame
        fields = ("amount", "comment")


class FrameTableForm(forms.Form):
    """All frames of a draft decision at once: one field per organisation and year (tkr; empty: no frame)."""

    change_reason = forms.CharField(
        label=_("Kommentar till ändringen"), required=False, max_length=200, help_text=_("Valfri. Sparas i historiken.")
    )

    def __init__(self, *args, organisations, years, frames, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = list(organisations)
        self.years = list(years)
        existing = {(frame.organisation_id, frame.year): frame for frame in frames}
        self.table = []
        for organisation in self.organisations:
            cells = []
            for year in self.years:
                frame = existing.get((organisation.pk, year))
                name = f"amount_{organisation.pk}_{year}"
                self.fields[name] = TkrField(
                    label=_("%(organisation)s %(year)s (tkr)") % {"organisation": organisation.label, "year": year},
                    required=False,
                    initial=frame.amount if frame else None,
                )
                version_name = f"version_{organisation.pk}_{year}"
                self.fields[version_name] = forms.IntegerField(
                    widget=forms.HiddenInput, required=False, initial=frame.version if frame else None
                )
                cells.append((self[name], self[version_name]))
            self.table.append((organisation, cells))

    def amounts(self):
        """{(organisation, year): kronor or None} from the cleaned data."""
        return {
            (organisation, year): self.cleaned_data.get(f"amount_{organisation.pk}_{year}")
            for organisation in self.organisations
            for year in self.years
        }

    def versions(self):
        return {
            (organisation.pk, year): self.cleaned_data.get(f"version_{organisation.pk}_{year}")
            for organisation in self.organisations
            for year in self.years
        }


class FrameAdjustmentForm(BaseModelForm):
    amount = TkrField(label=_("Belopp (tkr)"), help_text=_("Positivt ökar ramen, negativt minskar den."))

    class Meta(BaseModelForm.Meta):
        model = FrameAdjustment
        fields = ("reason", "amount", "assignment")

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        assignments = Assignment.objects.filter(municipality=municipality).order_by("-start_year", "code")
        self.fields["assignment"].queryset = assignments
        self.fields["assignment"].empty_label = _("Inget uppdrag")


class BudgetAssumptionsForm(BaseModelForm):
    tax_revenue = TkrField(
        label=_("Skatteintäkter och generella statsbidrag (tkr)"), help_text=_("Prognosen för året.")
    )
    financial_items = TkrField(
        label=_("Finansnetto (tkr)"), help_text=_("Finansiella intäkter minus finansiella kostnader.")
    )

    class Meta(BaseModelForm.Meta):
        model = BudgetAssumptions
        fields = ("year", "tax_revenue", "financial_items", "population", "result_target_percent")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = self.instance.budget.years
        self.fields["year"] = forms.TypedChoiceField(
            label=_("År"), choices=[(year, year) for year in years], coerce=int, initial=years[0]
        )


class CalendarForm(BaseModelForm):
    standard = forms.BooleanField(
        label=_("Fyll i budgetprocessens moment"),
        required=False,
        initial=True,
        help_text=_(
            "Planeringsförutsättningar, budgetberedning, rambudget i juni, kompletterande beslut i november "
            "(valår), detaljbudget och de tre uppföljningarna."
        ),
    )

    class Meta(BaseModelForm.Meta):
        model = Calendar
        fields = ("title", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["standard"]


class MilestoneForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Milestone
        fields = (
            "kind",
            "date",
            "month_only",
            "timing",
            "body",
            "responsible",
            "description",
            "status",
            "position",
        )
        widgets = {"date": forms.DateInput, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.filter(municipality=municipality).order_by("tree_id", "lft")
        self.fields["responsible"].queryset = organisations


class MilestoneStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=MilestoneStatus.choices)
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=200)
