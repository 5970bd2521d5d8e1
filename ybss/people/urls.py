from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/id/", views.search_id, name="search_id"),
    path("move-in/<int:address_pk>/", views.move_in_new, name="move_in"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/move-out/", views.move_out, name="move_out"),
    path("<int:pk>/relocate/", views.relocate, name="relocate"),
    path("<int:pk>/saved/", views.moved, name="moved"),
]
