from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="events"),
    path("subject.csv", views.subject_report, name="subject"),
    path("flags/", views.flag_list, name="flags"),
    path("flags/<int:pk>/review/", views.flag_review, name="flag_review"),
]
