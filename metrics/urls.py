"""The pages of metrics (namespace `metrics`); its API is metrics/api/urls.py (`metrics-api`)."""

from django.urls import path

from .views import help as help_pages
from .views import imports, journeys, metrics

app_name = "metrics"

urlpatterns = [
    path("journeys/<int:pk>/", journeys.journey_metrics, name="journey"),
    path("journeys/<int:pk>/new/", metrics.metric_create, name="metric_create"),
    path("journeys/<int:pk>/import/", imports.measurements_import, name="import"),
    path("<int:pk>/", metrics.metric_detail, name="metric"),
    path("<int:pk>/edit/", metrics.metric_edit, name="metric_edit"),
    path("<int:pk>/delete/", metrics.metric_delete, name="metric_delete"),
    path("<int:pk>/measurements/", metrics.measurement_add, name="measurement_add"),
    path("help/", help_pages.metrics_help, name="help"),
]
