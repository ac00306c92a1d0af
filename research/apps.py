from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "research"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Research evidence"

    def ready(self):
        from core import demo, imports
        from journeys import overlays

        from .imports import EVIDENCE_IMPORT
        from .overlays import EvidenceOverlay

        imports.register(EVIDENCE_IMPORT)
        demo.register("research", "research.demo.load")
        overlays.register(EvidenceOverlay())  # the map's "Evidence" view (research/overlays.py)
