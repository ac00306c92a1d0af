from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Metrics"

    def ready(self):
        # The CSV import of measurements, through core's shared import machinery (core/imports.py).
        # The map's overlay provider (metrics/overlays.py) is registered by the lead, not here yet.
        from core import demo, imports

        from .imports import MEASUREMENTS

        imports.register(MEASUREMENTS)
        demo.register("metrics", "metrics.demo.load")
