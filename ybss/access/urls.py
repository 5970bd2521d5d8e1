from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_edit, name="account_edit"),
    path("reasons/", views.reason_list, name="reasons"),
]
