"""Forms of the internal control plan: the plan, its risks and their controls, and the decision that adopts it.

Validation lives on the models (scale validators, a control reported in at least one tertial) and in the services
(a chosen risk needs a control before adoption); the forms only give each field a Swedish label and a message that
names the field.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from styrning.choices import OrganisationKind
from styrning.forms import BaseModelForm
from styrning.models import Organisation
from styrning.permissions import editable_organisations

from .choices import CONSEQUENCE_LABELS, PROBABILITY_LABELS, SCALE, PeriodKind
from .models import YEAR_VALIDATORS, Control, InternalControlPlan, Risk

# The bodies that decide an internal control plan: the organisation itself if it is a political body, or one above.
DECIDING_KINDS = (
    OrganisationKind.COUNCIL,
    OrganisationKind.EXECUTIVE_BOARD,
    OrganisationKind.COMMITTEE,
    OrganisationKind.COMPANY,
)


def _scale_choices(labels):
    return [("", "---------")] + [(value, f"{value} – {labels[value]}") for value in SCALE]


class InternalControlPlanForm(BaseModelForm):
    """A new plan (organisation, year, introduction) or a plan's introduction; organisation and year are fixed once
    the plan exists."""

    year = forms.IntegerField(
        label=_("År"),
        validators=YEAR_VALIDATORS,
        error_messages={
            "required": _("År: ange vilket år planen gäller."),
            "invalid": _("År: ange året med fyra siffror, till exempel 2026."),
        },
    )

    class Meta(BaseModelForm.Meta):
        model = InternalControlPlan
        fields = ("organisation", "year", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"description": _("Valfri. Till exempel hur risk- och väsentlighetsanalysen gjordes.")}

    def __init__(self, *args, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["organisation"]
            del self.fields["year"]
            return
        # A new plan's history row says "Skapad" (the service's reason); there is no change to comment on.
        del self.fields["change_reason"]
        organisations = Organisation.objects.filter(municipality=municipality).order_by("tree_id", "lft")
        field = self.fields["organisation"]
        field.queryset = editable_organisations(self.user, organisations)
        field.label_from_instance = lambda org: f"{'– ' * org.level}{org.name}"
        field.error_messages = {
            "required": _("Organisation: välj vilken organisation planen gäller."),
            "invalid_choice": _("Organisation: du kan bara lägga upp planer för organisationer du är redaktör för."),
        }


class RiskForm(BaseModelForm):
    """A risk of the plan, scored probability × consequence on the 1–4 scale."""

    probability = forms.TypedChoiceField(
        label=_("Sannolikhet"),
        coerce=int,
        choices=_scale_choices(PROBABILITY_LABELS),
        help_text=_("Hur troligt det är att det går fel: 1 osannolik – 4 sannolik."),
        error_messages={
            "required": _("Sannolikhet: välj ett värde från 1 till 4."),
            "invalid_choice": _("Sannolikhet: välj ett värde från 1 till 4 (%(value)s finns inte på skalan)."),
        },
    )
    consequence = forms.TypedChoiceField(
        label=_("Konsekvens"),
        coerce=int,
        choices=_scale_choices(CONSEQUENCE_LABELS),
        help_text=_("Hur allvarligt det blir om det går fel: 1 försumbar – 4 allvarlig."),
        error_messages={
            "required": _("Konsekvens: välj ett värde från 1 till 4."),
            "invalid_choice": _("Konsekvens: välj ett värde från 1 till 4 (%(value)s finns inte på skalan)."),
        },
    )

    class Meta(BaseModelForm.Meta):
        model = Risk
        fields = ("process", "description", "probability", "consequence", "in_plan")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"process": _("Till exempel Inköp, Löneutbetalning eller Delegationsbeslut.")}
        error_messages = {
            "process": {"required": _("Process eller rutin: ange vilken process risken finns i.")},
            "description": {"required": _("Vad kan gå fel: beskriv risken.")},
        }


TERTIAL_FIELDS = tuple(f"report_{kind}" for kind in PeriodKind)


class ControlForm(BaseModelForm):
    """The control of a risk: how, by whom, how often, and in which tertials its result is reported."""

    class Meta(BaseModelForm.Meta):
        model = Control
        fields = ("method", "responsible", "frequency", *TERTIAL_FIELDS)
        widgets = {
            "method": forms.Textarea(attrs={"rows": 3}),
            **{name: forms.CheckboxInput(attrs={"class": "ds-input"}) for name in TERTIAL_FIELDS},
        }
        labels = {f"report_{kind}": kind.label for kind in PeriodKind}
        error_messages = {
            "method": {"required": _("Kontrollmoment: beskriv hur kontrollen görs.")},
            "responsible": {"required": _("Ansvarig: ange vem som gör kontrollen.")},
        }

    def tertial_fields(self):
        return [self[name] for name in TERTIAL_FIELDS]

    def other_fields(self):
        return [field for field in self.visible_fields() if field.name not in (*TERTIAL_FIELDS, "change_reason")]


class ControlPlanAdoptForm(forms.Form):
    """The decision that adopted the plan: the body, the date, the paragraph (§) and the diarienummer."""

    decided_by = forms.ModelChoiceField(
        label=_("Beslutande organ"),
        queryset=Organisation.objects.none(),
        error_messages={
            "required": _("välj vilket organ som beslutade planen."),
            "invalid_choice": _("välj ett organ som kan besluta planen."),
        },
    )
    decided_on = forms.DateField(
        label=_("Beslutsdatum"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("ange beslutsdatum."), "invalid": _("ange datumet som ÅÅÅÅ-MM-DD.")},
    )
    paragraph = forms.CharField(label=_("Paragraf (§)"), max_length=20, required=False)
    registration_number = forms.CharField(
        label=_("Diarienummer"), max_length=50, required=False, help_text=_("Till exempel Dnr KS 2019/160.")
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        bodies = plan.organisation.get_ancestors(include_self=True).filter(kind__in=DECIDING_KINDS)
        self.fields["decided_by"].queryset = bodies
        if not self.is_bound:
            # The nearest body above (or the organisation itself): a nämnd decides its own plan and its förvaltning's.
            self.fields["decided_by"].initial = bodies.order_by("-level").values_list("pk", flat=True).first()


class ControlPlanReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Skäl"),
        max_length=200,
        help_text=_("Sparas i planens historik."),
        error_messages={"required": _("ange varför planen öppnas för ändringar igen.")},
    )
