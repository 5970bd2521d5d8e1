from django.urls import include, path

from . import views

app_name = "campaigns"

urlpatterns = [
    # The progress dashboard ("<int:pk>/", campaigns:dashboard) lives in its own module.
    path("", include("ybss.campaigns.dashboard_urls")),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/new/", views.campaign_create, name="create"),
    path("manage/<int:pk>/", views.campaign_manage, name="manage"),
    path("manage/<int:pk>/work-list/", views.build_work_list, name="build"),
    path("manage/<int:pk>/status/", views.set_status, name="status"),
    path("manage/<int:pk>/assign/", views.assign, name="assign"),
    path("manage/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("manage/<int:pk>/recheck/", views.draw_recheck, name="draw"),
    path("work/", views.my_work, name="work"),
    path("work/<int:pk>/", views.visit_form, name="visit"),
    path("submitted/<int:pk>/", views.visit_submitted, name="submitted"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:pk>/", views.review_visit, name="review_visit"),
    path("review/<int:pk>/approve/", views.approve, name="approve"),
    path("review/<int:pk>/reject/", views.reject, name="reject"),
    path("rechecks/", views.my_rechecks, name="rechecks"),
    path("rechecks/<int:pk>/", views.verify, name="verify"),
]
