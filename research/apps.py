from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "research"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Research evidence"

    def ready(self):
        from core import demo, imports
        from journeys import attachments, overlays

        from .imports import EVIDENCE_IMPORT
        from .models import Evidence, Study
        from .overlays import EvidenceOverlay

        imports.register(EVIDENCE_IMPORT)
        demo.register("research", "research.demo.load")
        overlays.register(EvidenceOverlay())  # the map's "Evidence" view (research/overlays.py)
        # Research's trash puts deleted evidence and studies back: a map's undo keeps links to them waiting
        # (journeys/attachments.py) instead of dropping them.
        attachments.register(Evidence)
        attachments.register(Study)
