"""The project's URLs. The apps are named here only as strings."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

core_patterns = (
    [
        path("kommun/<slug:municipality>/styrdokument/", views.document_list, name="document_list"),
        path(
            "kommun/<slug:municipality>/styrdokument/nytt/",
            views.SteeringDocumentEditView.as_view(),
            name="document_add",
        ),
        path("styrdokument/<int:pk>/", views.SteeringDocumentView.as_view(), name="document"),
        path("styrdokument/<int:pk>/fil/", views.document_file, name="document_file"),
        path("styrdokument/<int:pk>/andra/", views.SteeringDocumentEditView.as_view(), name="document_edit"),
        path("styrdokument/<int:pk>/ta-bort/", views.SteeringDocumentDeleteView.as_view(), name="document_delete"),
        path("historik/<str:model_label>/<int:pk>/", views.object_history, name="history"),
        path(
            "historik/<str:model_label>/<int:pk>/aterstall/<int:history_id>/",
            views.object_history_revert,
            name="history_revert",
        ),
    ],
    "styrning",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("logga-in/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include(core_patterns)),
    path("", include("goals.urls")),
    path("", include("assignments.urls")),
    path("", include("budget.urls")),
    path("", include("followup.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
