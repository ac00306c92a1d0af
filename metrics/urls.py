"""The routes of metrics: its pages (namespace `metrics`) and its API (`metrics-api`, metrics/api/urls.py),
included from config/urls.py with one line."""

from django.urls import include, path

from . import views

pages = (
    [path("journeys/<int:pk>/metrics/import/", views.measurements_import, name="import")],
    "metrics",
)

urlpatterns = [
    path("", include(pages)),
    path("api/v1/", include("metrics.api.urls")),
]
