from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("import/", views.import_home, name="home"),
    path("import/templates/<str:kind>.<str:fmt>", views.template, name="template"),
    path("import/<int:pk>/", views.job_detail, name="job"),
    path("import/<int:pk>/progress/", views.job_progress, name="progress"),
    path("import/<int:pk>/check/", views.job_check, name="check"),
    path("import/<int:pk>/commit/", views.job_commit, name="commit"),
    path("import/<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("import/<int:pk>/decide/", views.job_decide, name="decide"),
    path("import/<int:pk>/report.xlsx", views.job_report, name="report"),
    path("import/<int:pk>/rejected.xlsx", views.job_rejected, name="rejected"),
]
