from django.urls import path

from . import views

app_name = "houses"

urlpatterns = [
    path("quality/", views.quality_findings, name="quality"),
    path("at/<int:address_pk>/", views.house_at, name="at"),
    path("at/<int:address_pk>/new/", views.house_create, name="create"),
    path("<int:pk>/edit/", views.house_edit, name="edit"),
    path("<int:pk>/tenancies/new/", views.tenancy_create, name="tenancy_create"),
    path("tenancies/<int:pk>/end/", views.tenancy_end, name="tenancy_end"),
]
