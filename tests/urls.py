"""The application's URLs plus the test-only person pages, so the access-matrix
test covers both."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tests.testapp import views
from ybss.urls import urlpatterns as app_urlpatterns

router = SimpleRouter()
router.register("residents", views.ResidentViewSet, basename="test-resident")

urlpatterns = [
    *app_urlpatterns,
    path("test/residents/", views.resident_list, name="test-resident-list"),
    path("test/residents/search/", views.resident_search, name="test-resident-search"),
    path("test/residents/export/", views.resident_export, name="test-resident-export"),
    path("test/residents/unmask/", views.resident_unmask, name="test-resident-unmask"),
    path("test/residents/<int:pk>/", views.resident_detail, name="test-resident-detail"),
    path("api/test/", include(router.urls)),
]
