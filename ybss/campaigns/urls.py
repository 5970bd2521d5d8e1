from django.urls import include, path

app_name = "campaigns"

urlpatterns = [
    # The progress dashboard ("<int:pk>/", campaigns:dashboard) lives in its own module.
    path("", include("ybss.campaigns.dashboard_urls")),
]
