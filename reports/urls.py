from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("rapporter/bestall/", views.report_request, name="request"),
    path("rapporter/jobb/<int:pk>/", views.job_detail, name="job"),
    path("rapporter/jobb/<int:pk>/status/", views.job_status, name="job_status"),
    path("rapporter/jobb/<int:pk>/gor-om/", views.job_retry, name="job_retry"),
    path("rapporter/fil/<int:pk>/", views.download, name="download"),
    path("kommun/<slug:municipality>/rapporter/", views.archive, name="archive"),
]
