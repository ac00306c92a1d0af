from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Metrics"

    def ready(self):
        # The CSV import of measurements, through core's shared import machinery (core/imports.py).
        from core import demo, imports
        from journeys import overlays

        from .imports import MEASUREMENTS, MEASUREMENTS_WIDE
        from .overlays import MetricsOverlay

        imports.register(MEASUREMENTS)
        imports.register(MEASUREMENTS_WIDE)
        demo.register("metrics", "metrics.demo.load")
        overlays.register(MetricsOverlay())  # the map's "Metrics" view (metrics/overlays.py)
