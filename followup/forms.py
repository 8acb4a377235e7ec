"""Forms of the follow-up. Amounts are typed in tkr and stored in kronor (budget.forms.TkrField)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from budget.forms import TkrField
from goals.models import Outcome
from styrning.choices import OrganisationKind
from styrning.forms import BaseModelForm, SwedishDecimalField, SwedishDecimalInput
from styrning.models import Organisation

from .choices import DECIDING_LEVELS, DeadlineLevel
from .models import ActionPlan, AssignmentFollowUp, ControlResult, FollowUpReport, GoalAssessment, ReportingPeriod

# The bodies that decide on a report: KF, KS, a nämnd, a bolag's board.
DECIDING_BODY_KINDS = (
    OrganisationKind.COUNCIL,
    OrganisationKind.EXECUTIVE_BOARD,
    OrganisationKind.COMMITTEE,
    OrganisationKind.COMPANY,
)
YES_NO = ((None, _("Inte angivet")), (True, _("Ja")), (False, _("Nej")))


class PeriodForm(BaseModelForm):
    """A period with its thresholds and a deadline per level (blank deadlines get the default days after the end)."""

    deviation_threshold_amount = TkrField(
        label=_("gräns för avvikelseanalys (tkr)"),
        required=False,
        help_text=_("En avvikelse större än detta belopp kräver också en avvikelseanalys. Tomt: bara andelen gäller."),
    )

    class Meta(BaseModelForm.Meta):
        model = ReportingPeriod
        fields = ("year", "kind", "deviation_threshold_percent", "deviation_threshold_amount")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deadlines = {d.level: d.date for d in self.instance.deadlines.all()} if self.instance.pk else {}
        for level in DeadlineLevel:
            self.fields[f"deadline_{level}"] = forms.DateField(
                label=_("Sista dag: %(level)s") % {"level": level.label.lower()},
                required=bool(self.instance.pk),
                initial=deadlines.get(level),
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                help_text=_("Tomt: räknas från periodens slut.") if not self.instance.pk else "",
            )
        if self.instance.pk:
            # The year and the kind name the period; a different one is a new period.
            del self.fields["year"]
            del self.fields["kind"]

    def deadlines(self):
        return {level: self.cleaned_data.get(f"deadline_{level}") for level in DeadlineLevel}

    def clean(self):
        cleaned = super().clean()
        dates = [(level, cleaned.get(f"deadline_{level}")) for level in DeadlineLevel]
        known = [(level, date) for level, date in dates if date]
        for (lower, lower_date), (upper, upper_date) in zip(known, known[1:], strict=False):
            if upper_date < lower_date:
                self.add_error(
                    f"deadline_{upper}",
                    _("Sista dagen för %(upper)s kan inte ligga före den för %(lower)s: rapporterna går uppåt.")
                    % {"upper": upper.label.lower(), "lower": lower.label.lower()},
                )
        return cleaned


class ReportSummaryForm(BaseModelForm):
    change_reason = None

    class Meta(BaseModelForm.Meta):
        model = FollowUpReport
        fields = ("summary",)
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}


class EconomyForm(BaseModelForm):
    """The report's economy; the deviation and whether an analysis is required are computed from it."""

    change_reason = None
    budget = TkrField(label=_("Budget för året (tkr)"), required=False)
    outcome_to_date = TkrField(label=_("Utfall hittills (tkr)"), required=False)
    forecast = TkrField(label=_("Prognos för helåret (tkr)"), required=False)
    within_delegation = forms.TypedChoiceField(
        label=_("Kan underskottet hanteras inom delegation?"),
        choices=YES_NO,
        coerce=lambda value: {"True": True, "False": False}.get(value),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Nej: en åtgärdsplan upprättas och beslutas av nämnden med rapporten."),
    )

    class Meta(BaseModelForm.Meta):
        model = FollowUpReport
        fields = ("budget", "outcome_to_date", "forecast", "deviation_analysis", "within_delegation")
        widgets = {"deviation_analysis": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.period.has_forecast:
            del self.fields["forecast"]
            del self.fields["within_delegation"]
            self.fields["outcome_to_date"].label = _("Årets utfall (tkr)")


class AssessmentForm(BaseModelForm):
    change_reason = None

    class Meta(BaseModelForm.Meta):
        model = GoalAssessment
        fields = ("assessment", "forecast", "analysis", "justification")
        widgets = {
            "analysis": forms.Textarea(attrs={"rows": 3}),
            "justification": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, suggestion=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.report.period.has_forecast:
            del self.fields["forecast"]
        if suggestion is None:
            del self.fields["justification"]
        for name in ("assessment", "forecast"):
            if name in self.fields:
                self.fields[name].choices = [("", _("Välj"))] + list(self.fields[name].choices)[1:]


class AssignmentItemForm(BaseModelForm):
    change_reason = None

    class Meta(BaseModelForm.Meta):
        model = AssignmentFollowUp
        fields = ("status", "comment")
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}


class ActionForm(BaseModelForm):
    effect = TkrField(label=_("Beräknad effekt (tkr)"), required=False)

    class Meta(BaseModelForm.Meta):
        model = ActionPlan
        fields = ("measure", "responsible", "due_date", "effect", "status")
        widgets = {"measure": forms.Textarea(attrs={"rows": 2})}


class ControlResultForm(BaseModelForm):
    change_reason = None

    class Meta(BaseModelForm.Meta):
        model = ControlResult
        fields = ("outcome", "findings", "measures")
        widgets = {"findings": forms.Textarea(attrs={"rows": 2}), "measures": forms.Textarea(attrs={"rows": 2})}


class PeriodOutcomeForm(BaseModelForm):
    """An indicator's outcome for the report's period (the year and the period follow from the report)."""

    change_reason = None
    value = SwedishDecimalField(label=_("Utfall"), max_digits=14, decimal_places=2, widget=SwedishDecimalInput)

    class Meta(BaseModelForm.Meta):
        model = Outcome
        fields = ("value", "value_women", "value_men", "comment")
        widgets = {"comment": forms.Textarea(attrs={"rows": 1})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.indicator.by_sex:
            del self.fields["value_women"]
            del self.fields["value_men"]


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Vad behöver ändras?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Skriv vad som behöver ändras innan rapporten skickas tillbaka.")},
    )


class ApproveForm(forms.Form):
    """Approval; at nämnd, KS and KF level it is the body's decision and needs organ and date."""

    decided_by = forms.ModelChoiceField(
        label=_("Beslutande organ"), queryset=Organisation.objects.none(), required=False
    )
    decided_on = forms.DateField(
        label=_("Beslutsdatum"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    paragraph = forms.CharField(label=_("Paragraf (§)"), max_length=20, required=False)
    registration_number = forms.CharField(label=_("Diarienummer"), max_length=50, required=False)
    comment = forms.CharField(label=_("Kommentar"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_decision = report.level in DECIDING_LEVELS
        organisation = report.organisation
        bodies = organisation.get_ancestors(include_self=True).filter(kind__in=DECIDING_BODY_KINDS)
        self.fields["decided_by"].queryset = bodies
        if self.is_decision:
            self.fields["decided_by"].required = True
            self.fields["decided_by"].initial = organisation.pk
            self.fields["decided_by"].error_messages["required"] = _("Ange vilket organ som beslutade om rapporten.")
            self.fields["decided_on"].required = True
            self.fields["decided_on"].error_messages["required"] = _("Ange beslutsdatum.")
        else:
            for name in ("decided_by", "decided_on", "paragraph", "registration_number"):
                del self.fields[name]


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Varför öppnas rapporten igen?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Ange varför den godkända rapporten öppnas igen.")},
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Kommentar"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Skriv en kommentar.")},
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)
