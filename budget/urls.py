from django.urls import path

from . import views

app_name = "budget"

urlpatterns = [
    path("kommun/<slug:municipality>/budget/", views.budget_overview, name="budget_overview"),
    path("kommun/<slug:municipality>/budget/ny/", views.BudgetEditView.as_view(), name="budget_add"),
    path("budget/<int:pk>/", views.budget, name="budget"),
    path("budget/<int:pk>/andra/", views.BudgetEditView.as_view(), name="budget_edit"),
    path("budget/<int:budget>/nytt-beslut/", views.BudgetDecisionEditView.as_view(), name="decision_add"),
    path(
        "budget/<int:budget>/nya-forutsattningar/",
        views.BudgetAssumptionsEditView.as_view(),
        name="assumptions_add",
    ),
    path("forutsattningar/<int:pk>/andra/", views.BudgetAssumptionsEditView.as_view(), name="assumptions_edit"),
    path("budgetbeslut/<int:pk>/andra/", views.BudgetDecisionEditView.as_view(), name="decision_edit"),
    path("budgetbeslut/<int:pk>/ta-bort/", views.BudgetDecisionDeleteView.as_view(), name="decision_delete"),
    path("budgetbeslut/<int:pk>/besluta/", views.decision_decide, name="decision_decide"),
    path("budgetbeslut/<int:pk>/ny-version/", views.decision_new_version, name="decision_new_version"),
    path("budgetbeslut/<int:pk>/ramar/", views.frame_table, name="frame_table"),
    path("ramar/<int:pk>/andra/", views.FrameEditView.as_view(), name="frame_edit"),
    path("ramar/<int:frame>/ny-justering/", views.FrameAdjustmentEditView.as_view(), name="adjustment_add"),
    path("justeringar/<int:pk>/andra/", views.FrameAdjustmentEditView.as_view(), name="adjustment_edit"),
    path("justeringar/<int:pk>/ta-bort/", views.FrameAdjustmentDeleteView.as_view(), name="adjustment_delete"),
    path(
        "organisationer/<int:organisation>/budget/<int:year>/",
        views.organisation_budget,
        name="organisation_budget",
    ),
    path("kommun/<slug:municipality>/arshjul/", views.calendar_default, name="calendar_default"),
    path("kommun/<slug:municipality>/arshjul/<int:year>/", views.calendar, name="calendar"),
    path("kommun/<slug:municipality>/arshjul/<int:year>/nytt/", views.CalendarEditView.as_view(), name="calendar_add"),
    path("arshjul/<int:pk>/andra/", views.CalendarEditView.as_view(), name="calendar_edit"),
    path("arshjul/<int:calendar>/nytt-moment/", views.MilestoneEditView.as_view(), name="milestone_add"),
    path("moment/<int:pk>/andra/", views.MilestoneEditView.as_view(), name="milestone_edit"),
    path("moment/<int:pk>/ta-bort/", views.MilestoneDeleteView.as_view(), name="milestone_delete"),
    path("moment/<int:pk>/status/", views.milestone_status, name="milestone_status"),
]
