from django.urls import path

from . import views

app_name = "goals"

urlpatterns = [
    path("kommun/<slug:municipality>/", views.house, name="house"),
    path("kommun/<slug:municipality>/malkedja/", views.goal_chain, name="goal_chain"),
    path("kommun/<slug:municipality>/malanalys/", views.goal_analysis, name="goal_analysis"),
    path("kommun/<slug:municipality>/planer/", views.plan_list, name="plan_list"),
    path("kommun/<slug:municipality>/vision/", views.vision_edit, name="vision_edit"),
    path("kommun/<slug:municipality>/vardeord/nytt/", views.ValueEditView.as_view(), name="value_add"),
    path("vardeord/<int:pk>/andra/", views.ValueEditView.as_view(), name="value_edit"),
    path("vardeord/<int:pk>/ta-bort/", views.ValueDeleteView.as_view(), name="value_delete"),
    path("min-sida/", views.my_page, name="my_page"),
    path("mal/<int:pk>/", views.GoalView.as_view(), name="goal"),
    path("mal/<int:pk>/barn/", views.goal_children, name="goal_children"),
    path("mal/<int:parent>/nytt-mal/", views.GoalEditView.as_view(), name="goal_add"),
    path("mal/<int:parent>/ny-aktivitet/", views.ActivityEditView.as_view(), name="activity_add"),
    path("mal/<int:pk>/andra/", views.GoalEditView.as_view(), name="goal_edit"),
    path("aktivitet/<int:pk>/andra/", views.ActivityEditView.as_view(), name="activity_edit"),
    path("aktivitet/<int:pk>/status/", views.activity_status, name="activity_status"),
    path("mal/<int:pk>/ta-bort/", views.GoalDeleteView.as_view(), name="goal_delete"),
    path("mal/<int:goal>/ny-indikator/", views.IndicatorEditView.as_view(), name="indicator_add"),
    path("indikatorer/<int:pk>/", views.IndicatorView.as_view(), name="indicator"),
    path("indikatorer/<int:pk>/andra/", views.IndicatorEditView.as_view(), name="indicator_edit"),
    path("indikatorer/<int:pk>/ta-bort/", views.IndicatorDeleteView.as_view(), name="indicator_delete"),
    path("indikatorer/<int:indicator>/nytt-malvarde/", views.TargetEditView.as_view(), name="target_add"),
    path("malvarden/<int:pk>/andra/", views.TargetEditView.as_view(), name="target_edit"),
    path("malvarden/<int:pk>/ta-bort/", views.TargetDeleteView.as_view(), name="target_delete"),
    path("indikatorer/<int:indicator>/nytt-utfall/", views.OutcomeEditView.as_view(), name="outcome_add"),
    path("utfall/<int:pk>/andra/", views.OutcomeEditView.as_view(), name="outcome_edit"),
    path("utfall/<int:pk>/ta-bort/", views.OutcomeDeleteView.as_view(), name="outcome_delete"),
    path("organisationer/<int:pk>/", views.OrganisationView.as_view(), name="organisation"),
    path("planer/<int:pk>/", views.PlanView.as_view(), name="plan"),
    path("organisationer/<int:organisation>/ny-plan/", views.PlanEditView.as_view(), name="plan_add"),
    path("planer/<int:pk>/andra/", views.PlanEditView.as_view(), name="plan_edit"),
    path("planer/<int:pk>/faststall/", views.plan_adopt, name="plan_adopt"),
    path("planer/<int:pk>/oppna/", views.plan_reopen, name="plan_reopen"),
    path("agenda-2030/", views.sdg_list, name="sdg_list"),
    path("agenda-2030/<int:number>/", views.sdg, name="sdg"),
    path("kommun/<slug:municipality>/import/", views.import_page, name="import"),
    path("kommun/<slug:municipality>/import/bekrafta/", views.import_confirm, name="import_confirm"),
    path("kommun/<slug:municipality>/import/mall/", views.import_template, name="import_template"),
    path("kommun/<slug:municipality>/import/jobb/<int:pk>/", views.import_job, name="import_job"),
    path("kommun/<slug:municipality>/import/jobb/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path(
        "kommun/<slug:municipality>/import/jobb/<int:pk>/bekrafta/", views.import_job_confirm, name="import_job_confirm"
    ),
    path("kommun/<slug:municipality>/export/", views.export, name="export"),
]
