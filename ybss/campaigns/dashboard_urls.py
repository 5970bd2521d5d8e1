"""The progress dashboard's routes, included in the campaigns URL conf."""

from django.urls import path

from . import dashboard

urlpatterns = [
    path("<int:pk>/", dashboard.dashboard, name="dashboard"),
    path("<int:pk>/progress.xlsx", dashboard.export, name="dashboard_export"),
]
