from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from ybss.access import otp
from ybss.addresses.api import AddressNodeViewSet, RoadViewSet
from ybss.core.views import start
from ybss.divisions.api import DivisionViewSet
from ybss.exchange.feed import ChangeFeedView
from ybss.houses.api import HouseViewSet
from ybss.people.api import PersonViewSet
from ybss.units.api import UnitViewSet

router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("roads", RoadViewSet, basename="road")
router.register("addresses", AddressNodeViewSet, basename="address")
router.register("people", PersonViewSet, basename="person")
router.register("units", UnitViewSet, basename="unit")
router.register("houses", HouseViewSet, basename="house")

urlpatterns = [
    path("", start, name="start"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", otp.verify, name="otp_verify"),
    path("accounts/otp/setup/", otp.setup, name="otp_setup"),
    path("addresses/", include("ybss.addresses.urls")),
    path("units/", include("ybss.units.urls")),
    path("houses/", include("ybss.houses.urls")),
    path("people/", include("ybss.people.urls")),
    path("audit/", include("ybss.audit.urls")),
    path("access/", include("ybss.access.urls")),
    path("exchange/export/", include("ybss.exchange.export_urls")),
    path("exchange/", include("ybss.exchange.urls")),
    path("campaigns/", include("ybss.campaigns.urls")),
    path("dedupe/", include("ybss.dedupe.urls")),
    path("stats/", include("ybss.stats.urls")),
    path("api/v1/changes", ChangeFeedView.as_view(), name="change-feed"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
