"""Research pages (research/views/): the evidence library, studies, a card's evidence panel, help."""

from django.urls import path

from .views import evidence, imports, panel, studies, trash
from .views import help as help_pages

app_name = "research"
urlpatterns = [
    path("evidence/", evidence.evidence_library, name="evidence"),
    path("evidence/export.csv", evidence.evidence_export, name="evidence_export"),
    path("evidence/new/", evidence.evidence_create, name="evidence_create"),
    path("evidence/<int:pk>/", evidence.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/edit/", evidence.evidence_edit, name="evidence_edit"),
    path("evidence/<int:pk>/delete/", evidence.evidence_delete, name="evidence_delete"),
    path("studies/", studies.study_list, name="studies"),
    path("studies/new/", studies.study_create, name="study_create"),
    path("studies/<int:pk>/", studies.study_detail, name="study"),
    path("studies/<int:pk>/edit/", studies.study_edit, name="study_edit"),
    path("studies/<int:pk>/delete/", studies.study_delete, name="study_delete"),
    path("studies/<int:pk>/import/", imports.study_import, name="study_import"),
    path("deleted/<int:pk>/restore/", trash.trash_restore, name="trash_restore"),
    # A card's evidence panel: the map's side panel loads it (journeys never imports research).
    path("cards/<int:card_id>/evidence/", panel.card_evidence, name="card_evidence"),
    path("help/confidence/", help_pages.confidence_help, name="help_confidence"),
]
