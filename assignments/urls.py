from django.urls import path

from . import views

app_name = "assignments"

urlpatterns = [
    path("kommun/<slug:municipality>/uppdrag/", views.assignment_list, name="assignment_list"),
    path("kommun/<slug:municipality>/uppdrag/oversikt/", views.assignment_overview, name="assignment_overview"),
    path("kommun/<slug:municipality>/uppdrag/nytt/", views.assignment_give, name="assignment_add"),
    path("uppdrag/<int:pk>/", views.AssignmentView.as_view(), name="assignment"),
    path("uppdrag/<int:pk>/status/", views.assignment_report, name="assignment_report"),
    path("uppdrag/<int:pk>/beslut/", views.assignment_decide, name="assignment_decide"),
    path("uppdrag/<int:assignment>/belopp/nytt/", views.AmountEditView.as_view(), name="amount_add"),
    path("belopp/<int:pk>/andra/", views.AmountEditView.as_view(), name="amount_edit"),
    path("belopp/<int:pk>/ta-bort/", views.AmountDeleteView.as_view(), name="amount_delete"),
    path(
        "organisationer/<int:pk>/uppdrag/<int:year>/",
        views.organisation_assignments,
        name="organisation_assignments",
    ),
]
