from django.urls import path

from . import views

app_name = "dedupe"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("scan/", views.run_scan, name="scan"),
    path("<int:pk>/", views.pair_detail, name="pair"),
    path("<int:pk>/merge/", views.merge_pair, name="merge"),
    path("<int:pk>/different/", views.different, name="different"),
    path("merges/", views.merge_list, name="merges"),
    path("merges/<int:pk>/undo/", views.undo_merge, name="undo"),
]
