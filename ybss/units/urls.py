from django.urls import path

from . import views

app_name = "units"

urlpatterns = [
    path("", views.unit_list, name="list"),
    path("new/", views.unit_create, name="create"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/edit/", views.unit_edit, name="edit"),
    path("<int:pk>/licences/new/", views.licence_create, name="licence_create"),
    path("<int:pk>/employees/new/", views.employment_create, name="employment_create"),
    path("employments/<int:pk>/end/", views.employment_end, name="employment_end"),
]
