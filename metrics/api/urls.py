from django.urls import path

from . import metrics as api
from . import settings

app_name = "metrics-api"
urlpatterns = [
    path("journeys/<int:pk>/metrics/", api.JourneyMetricsApi.as_view(), name="journey-metrics"),
    path(
        "journeys/<int:pk>/measurements/", api.JourneyMeasurementsApi.as_view(), name="journey-measurements"
    ),
    path("journeys/<int:pk>/health/", api.JourneyHealthApi.as_view(), name="journey-health"),
    path("journeys/<int:pk>/metric-shifts/", api.JourneyShiftsApi.as_view(), name="journey-shifts"),
    path("metrics/<int:pk>/", api.MetricApi.as_view(), name="metric-detail"),
    path("metrics/<int:pk>/measurements/", api.MetricMeasurementsApi.as_view(), name="metric-measurements"),
    path("measurements/<int:pk>/", api.MeasurementApi.as_view(), name="measurement-detail"),
    path(
        "workspaces/<int:pk>/metrics-settings/",
        settings.MetricsSettingsApi.as_view(),
        name="metrics-settings",
    ),
]
