"""The pages of metrics (namespace `metrics`); its API is metrics/api/urls.py (`metrics-api`)."""

from django.urls import path

from .views import help as help_pages
from .views import imports, journeys, measurements, metrics
from .views import settings as settings_pages

app_name = "metrics"

urlpatterns = [
    path("journeys/<int:pk>/", journeys.journey_metrics, name="journey"),
    path("journeys/<int:pk>/new/", metrics.metric_create, name="metric_create"),
    path("journeys/<int:pk>/import/", imports.measurements_import, name="import"),
    path("<int:pk>/", metrics.metric_detail, name="metric"),
    path("<int:pk>/edit/", metrics.metric_edit, name="metric_edit"),
    path("<int:pk>/delete/", metrics.metric_delete, name="metric_delete"),
    path("<int:pk>/measurements/", metrics.measurement_add, name="measurement_add"),
    path("measurements/<int:pk>/edit/", measurements.measurement_edit, name="measurement_edit"),
    path("measurements/<int:pk>/delete/", measurements.measurement_delete, name="measurement_delete"),
    path("workspaces/<int:pk>/shift-settings/", settings_pages.shift_settings, name="settings"),
    path("help/", help_pages.metrics_help, name="help"),
]
