from django.apps import AppConfig


class PrioritizationConfig(AppConfig):
    name = "prioritization"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Prioritization and delivery"

    def ready(self):
        from core import demo
        from journeys import overlays

        from .overlays import PriorityOverlay

        overlays.register(PriorityOverlay())  # the map's "Priority" view (prioritization/overlays.py)
        demo.register("prioritization", "prioritization.demo.load")  # initiatives (prioritization/demo.py)
