from django.urls import path

from . import proposal_views, views

app_name = "addresses"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("d/<str:code>/", views.division_detail, name="division"),
    path("d/<str:code>/roads/new/", views.road_create, name="road_create"),
    path("d/<str:code>/nodes/new/", views.node_create, name="node_create"),
    path("n/<int:pk>/", views.node_detail, name="node"),
    path("n/<int:pk>/children/new/", views.child_create, name="child_create"),
    path("n/<int:pk>/rooms/new/", views.rooms_create, name="rooms_create"),
    path("n/<int:pk>/rename/", views.node_rename, name="node_rename"),
    path("n/<int:pk>/merge/", views.node_merge, name="node_merge"),
    path("n/<int:pk>/demolish/", views.node_demolish, name="node_demolish"),
    path("proposals/", proposal_views.proposal_list, name="proposals"),
    path("proposals/<int:pk>/", proposal_views.proposal_detail, name="proposal"),
    path("roads/<int:pk>/", views.road_detail, name="road"),
    path("roads/<int:pk>/rename/", views.road_rename, name="road_rename"),
]
