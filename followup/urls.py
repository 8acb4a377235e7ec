from django.urls import path

from . import control_views, views

app_name = "followup"

urlpatterns = [
    # Periods and reports
    path("kommun/<slug:municipality>/uppfoljning/", views.period_list, name="period_list"),
    path("kommun/<slug:municipality>/uppfoljning/ny/", views.period_create, name="period_create"),
    path("uppfoljning/<int:pk>/", views.period_detail, name="period"),
    path("uppfoljning/<int:pk>/andra/", views.period_edit, name="period_edit"),
    path("uppfoljning/<int:pk>/oppna/", views.period_open, name="period_open"),
    path("uppfoljning/<int:pk>/stang/", views.period_close, name="period_close"),
    path("uppfoljning/<int:pk>/oversikt/", views.dashboard, name="dashboard"),
    path("att-rapportera/", views.to_report, name="to_report"),
    path("rapport/<int:pk>/", views.report_detail, name="report"),
    path("rapport/<int:pk>/ekonomi/", views.report_economy, name="report_economy"),
    path("rapport/<int:pk>/sammanfattning/", views.report_summary, name="report_summary"),
    path("rapport/<int:pk>/sammanstall/", views.report_compile, name="report_compile"),
    path("rapport/<int:pk>/skicka-in/", views.report_submit, name="report_submit"),
    path("rapport/<int:pk>/aterremittera/", views.report_return, name="report_return"),
    path("rapport/<int:pk>/godkann/", views.report_approve, name="report_approve"),
    path("rapport/<int:pk>/oppna-igen/", views.report_reopen, name="report_reopen"),
    path("rapport/<int:pk>/kommentar/", views.comment_add, name="comment_add"),
    path("rapport/<int:pk>/atgard/ny/", views.action_edit, name="action_add"),
    path("atgard/<int:pk>/", views.action_edit, name="action_edit"),
    path("atgard/<int:pk>/ta-bort/", views.action_delete, name="action_delete"),
    path("malbedomning/<int:pk>/", views.assessment_edit, name="assessment_edit"),
    path("uppdragsuppfoljning/<int:pk>/", views.assignment_item_edit, name="assignment_item_edit"),
    path("kontrollresultat/<int:pk>/", views.control_result_edit, name="control_result_edit"),
    path("rapport/<int:pk>/utfall/<int:indicator>/", views.outcome_edit, name="outcome_edit"),
    # Internal control
    path("kommun/<slug:municipality>/intern-kontroll/", control_views.control_plan_list, name="control_plan_list"),
    path(
        "kommun/<slug:municipality>/intern-kontroll/ny/", control_views.control_plan_create, name="control_plan_create"
    ),
    path("intern-kontroll/<int:pk>/", control_views.control_plan_detail, name="control_plan"),
    path("intern-kontroll/<int:pk>/andra/", control_views.control_plan_edit, name="control_plan_edit"),
    path("intern-kontroll/<int:pk>/besluta/", control_views.control_plan_adopt, name="control_plan_adopt"),
    path("intern-kontroll/<int:pk>/oppna-igen/", control_views.control_plan_reopen, name="control_plan_reopen"),
    path("intern-kontroll/<int:pk>/risk/ny/", control_views.risk_edit, name="risk_add"),
    path("risk/<int:pk>/", control_views.risk_edit, name="risk_edit"),
    path("risk/<int:pk>/ta-bort/", control_views.risk_delete, name="risk_delete"),
    path("risk/<int:pk>/kontroll/ny/", control_views.control_edit, name="control_add"),
    path("kontroll/<int:pk>/", control_views.control_edit, name="control_edit"),
    path("kontroll/<int:pk>/ta-bort/", control_views.control_delete, name="control_delete"),
]
