"""Export pages. Included from ``ybss/urls.py`` at ``exchange/export/`` under the
``export`` namespace, so links read ``{% url 'export:form' 'persons' %}``."""

from django.urls import path

from . import export_views

app_name = "export"

urlpatterns = [
    path("<slug:kind>/", export_views.export_form, name="form"),
]
