"""Forms of the goal chain: one form per model for both add and edit, and the chain's filter form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from styrning.forms import BaseModelForm
from styrning.models import Organisation, SteeringDocument
from styrning.permissions import editable_organisations

from .choices import GoalKind, GoalLevel, Perspective, PlanStatus
from .models import Goal, Indicator, Outcome, Plan, SdgGoal, SdgTarget, Target, Value


class ParentCodeMixin(forms.Form):
    """The parent goal is named by its code (it scales to trees of any size and matches the spreadsheets)."""

    parent_code = forms.CharField(label=_("Överordnat mål (kod)"), max_length=30)

    def clean_parent_code(self):
        code = self.cleaned_data["parent_code"].strip()
        parent = Goal.objects.filter(municipality=self.municipality, code=code).select_related("organisation").first()
        if parent is None:
            raise forms.ValidationError(_("Det finns inget mål med koden %(code)s i kommunen.") % {"code": code})
        return parent


class GoalForm(ParentCodeMixin, BaseModelForm):
    """A goal of any level below the vision, and (with ActivityForm's fields) an activity."""

    class Meta(BaseModelForm.Meta):
        model = Goal
        fields = (
            "parent_code",
            "code",
            "title",
            "kind",
            "description",
            "organisation",
            "plan",
            "perspective",
            "start_year",
            "end_year",
            "contributes_to",
            "sdg_goals",
            "sdg_targets",
            "child_rights",
            "documents",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "sdg_goals": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, municipality, parent=None, **kwargs):
        self.municipality = municipality
        super().__init__(*args, **kwargs)
        instance = self.instance
        parent = parent or (instance.parent if instance.parent_id else None)
        if parent is not None:
            self.fields["parent_code"].initial = parent.code
        orgs = Organisation.objects.filter(municipality=municipality)
        if parent is not None and parent.kind != GoalKind.VISION:
            org = parent.organisation
            orgs = orgs.filter(tree_id=org.tree_id, lft__gte=org.lft, rght__lte=org.rght)
        self.fields["organisation"].queryset = editable_organisations(self.user, orgs).order_by("tree_id", "lft")
        plans = Plan.objects.filter(organisation__in=self.fields["organisation"].queryset).select_related(
            "organisation"
        )
        if not instance.pk or instance.plan is None or instance.plan.status != PlanStatus.ADOPTED:
            plans = plans.filter(status=PlanStatus.DRAFT)
        self.fields["plan"].queryset = plans.order_by("organisation__tree_id", "organisation__lft", "-year")
        self.fields["plan"].label_from_instance = lambda p: f"{p.title} ({p.get_status_display().lower()})"
        self.fields["plan"].required = True
        kinds = (
            [GoalKind.DIRECTION, GoalKind.FINANCIAL]
            if parent is None or parent.kind == GoalKind.VISION
            else [GoalKind.GOAL]
        )
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        self.fields["kind"].initial = kinds[0].value
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
        level = instance.level if instance.pk else (parent.level + 1 if parent is not None else GoalLevel.MUNICIPAL)
        if level != GoalLevel.COMMITTEE:
            self.fields["perspective"].help_text = _("Frivilligt på den här nivån.")
        else:
            self.fields["perspective"].required = True
        # Contributions usually go to the other goals of the parent's level (Vaggeryd: every nämnd to all KF goals).
        siblings_of_parent = Goal.objects.filter(municipality=municipality).exclude(kind=GoalKind.ACTIVITY)
        if parent is not None:
            siblings_of_parent = siblings_of_parent.filter(level=parent.level).exclude(pk=parent.pk)
        else:
            siblings_of_parent = siblings_of_parent.filter(level=GoalLevel.MUNICIPAL)
        if instance.pk:
            siblings_of_parent = siblings_of_parent.exclude(pk=instance.pk)
        self.fields["contributes_to"].queryset = siblings_of_parent.order_by("tree_id", "lft")
        self.fields["contributes_to"].widget = forms.CheckboxSelectMultiple()
        self.fields["contributes_to"].widget.choices = self.fields["contributes_to"].choices
        self.fields["sdg_goals"].queryset = SdgGoal.objects.all()
        self.fields["sdg_targets"].queryset = SdgTarget.objects.select_related("goal")
        self.fields["sdg_targets"].help_text = _("Håll ned Ctrl (Cmd på Mac) för att välja flera delmål.")
        self.fields["documents"].queryset = SteeringDocument.objects.filter(municipality=municipality)
        self.fields["documents"].help_text = _("Håll ned Ctrl (Cmd på Mac) för att välja flera dokument.")
        self.order_fields(["parent_code", "code", "title", "kind"])

    def clean(self):
        cleaned = super().clean()
        if isinstance(cleaned.get("parent_code"), Goal):
            self.instance.parent = cleaned["parent_code"]
        return cleaned

    def _post_clean(self):
        # The model's tree rules need the parent before Goal.clean runs.
        parent = self.cleaned_data.get("parent_code")
        if isinstance(parent, Goal):
            self.instance.parent = parent
            self.instance.municipality = self.municipality
        organisation = self.cleaned_data.get("organisation")
        if organisation is not None and self.instance.kind != GoalKind.VISION:
            from .choices import LEVEL_FOR_ORGANISATION

            self.instance.level = LEVEL_FOR_ORGANISATION[organisation.kind]
        super()._post_clean()


class ActivityForm(GoalForm):
    """An activity of a verksamhetsplan or enhetsplan: a responsible person, dates and a status."""

    class Meta(GoalForm.Meta):
        fields = (
            "parent_code",
            "code",
            "title",
            "kind",
            "description",
            "organisation",
            "plan",
            "responsible",
            "start_date",
            "end_date",
            "activity_status",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_date": forms.DateInput,
            "end_date": forms.DateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(GoalKind.ACTIVITY.value, GoalKind.ACTIVITY.label)]
        self.fields["kind"].initial = GoalKind.ACTIVITY.value
        self.fields["kind"].widget = forms.HiddenInput()
        self.fields["activity_status"].required = True
        self.fields["responsible"].required = True

    def _post_clean(self):
        self.instance.kind = GoalKind.ACTIVITY
        super()._post_clean()


class ActivityStatusForm(forms.Form):
    activity_status = forms.ChoiceField(label=_("Status"), choices=Goal._meta.get_field("activity_status").choices[1:])
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=200)


class IndicatorForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Indicator
        fields = (
            "name",
            "description",
            "unit",
            "direction",
            "baseline_value",
            "baseline_year",
            "kolada_id",
            "source",
            "by_sex",
            "tolerance_percent",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TargetForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Target
        fields = ("year", "value")

    def _post_clean(self):
        super()._post_clean()
        # The (indicator, year) constraint only runs when both are form fields: check it here for a clear message.
        year = self.cleaned_data.get("year")
        if (
            year
            and Target.objects.filter(indicator=self.instance.indicator_id, year=year)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("year", _("Indikatorn har redan ett målvärde för %(year)s.") % {"year": year})


class OutcomeForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Outcome
        fields = ("year", "period", "value", "value_women", "value_men", "comment")
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.indicator.by_sex:
            del self.fields["value_women"]
            del self.fields["value_men"]

    def _post_clean(self):
        super()._post_clean()
        year, period = self.cleaned_data.get("year"), self.cleaned_data.get("period")
        if (
            year
            and period
            and Outcome.objects.filter(indicator=self.instance.indicator_id, year=year, period=period)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("period", _("Indikatorn har redan ett utfall för den perioden."))


class PlanForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Plan
        fields = ("title", "year", "mandate_period", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mandate_period"].queryset = self.instance.organisation.municipality.mandate_periods.all()


class PlanAdoptForm(forms.Form):
    decided_by = forms.ModelChoiceField(label=_("Beslutande organ"), queryset=Organisation.objects.none())
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    paragraph = forms.CharField(label=_("Paragraf (§)"), max_length=20, required=False)
    registration_number = forms.CharField(label=_("Diarienummer"), max_length=50, required=False)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        org = plan.organisation
        # The body that adopts: the organisation itself if it is a political body, or one above it.
        self.fields["decided_by"].queryset = org.get_ancestors(include_self=True).filter(
            kind__in=("council", "executive_board", "committee", "company")
        )


class PlanReopenForm(forms.Form):
    reason = forms.CharField(label=_("Skäl"), max_length=200)


class VisionForm(forms.Form):
    statement = forms.CharField(label=_("Vision"), widget=forms.Textarea(attrs={"rows": 3}), max_length=300)
    description = forms.CharField(label=_("Beskrivning"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    valid_until = forms.IntegerField(label=_("Gäller till och med år"), required=False, min_value=1990, max_value=2100)


class ValueForm(BaseModelForm):
    class Meta(BaseModelForm.Meta):
        model = Value
        fields = ("name", "description", "position")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class GoalFilterForm(forms.Form):
    q = forms.CharField(label=_("Sök"), required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=False)
    level = forms.TypedChoiceField(
        label=_("Nivå"),
        choices=[("", _("Alla nivåer")), *GoalLevel.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    perspective = forms.ChoiceField(
        label=_("Perspektiv"), choices=[("", _("Alla perspektiv")), *Perspective.choices], required=False
    )
    sdg_goal = forms.ModelChoiceField(label=_("Agenda 2030-mål"), queryset=SdgGoal.objects.all(), required=False)
    year = forms.IntegerField(label=_("År"), required=False, min_value=1990, max_value=2100)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])
        self.fields["organisation"].choices = [("", _("Alla organisationer"))] + [
            (o.pk, "\u2003" * o.level + o.name) for o in organisations
        ]
        self.fields["sdg_goal"].empty_label = _("Alla Agenda 2030-mål")

    def is_filtering(self):
        return self.is_valid() and any(v not in (None, "") for v in self.cleaned_data.values())


class ImportForm(forms.Form):
    """The upload of a spreadsheet to import (the size limit is checked before the file is read)."""

    file = forms.FileField(
        allow_empty_file=True,  # an empty file gets the importer's own message
        label=_("Fil att läsa in"),
        help_text=_("xlsx (Excel), ods (LibreOffice) eller csv, högst %(limit)s MB."),
    )

    def __init__(self, *args, **kwargs):
        from styrning import spreadsheets

        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "limit": spreadsheets.megabytes(spreadsheets.max_file_bytes())
        }

    def clean_file(self):
        from styrning import spreadsheets

        upload = self.cleaned_data["file"]
        if upload.size > spreadsheets.max_file_bytes():
            raise forms.ValidationError(
                _("Filen är för stor (%(size)s MB). Den får vara högst %(limit)s MB.")
                % {
                    "size": spreadsheets.megabytes(upload.size),
                    "limit": spreadsheets.megabytes(spreadsheets.max_file_bytes()),
                }
            )
        return upload


class ImportConfirmForm(forms.Form):
    """Confirms a previewed import: the token names the stashed file."""

    token = forms.CharField(widget=forms.HiddenInput)
