from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("", views.population, name="population"),
    path("houses/", views.houses, name="houses"),
    path("units/", views.units, name="units"),
    path("quality/", views.quality, name="quality"),
    path("records/", views.record_list, name="records"),
    path("report.xlsx", views.monthly_report, name="report"),
]
