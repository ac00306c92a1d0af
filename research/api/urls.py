from django.urls import path

from . import evidence, studies, trash

app_name = "research-api"
urlpatterns = [
    path("workspaces/<int:pk>/research-tags/", studies.TagListApi.as_view(), name="tag-list"),
    path("research-tags/<int:pk>/", studies.TagApi.as_view(), name="tag-detail"),
    path("research-tags/<int:pk>/merge/", studies.TagMergeApi.as_view(), name="tag-merge"),
    path(
        "workspaces/<int:pk>/research-settings/",
        studies.ResearchSettingsApi.as_view(),
        name="research-settings",
    ),
    path("workspaces/<int:pk>/studies/", studies.StudyListApi.as_view(), name="study-list"),
    path("studies/<int:pk>/", studies.StudyApi.as_view(), name="study-detail"),
    path("workspaces/<int:pk>/evidence/", evidence.EvidenceListApi.as_view(), name="evidence-list"),
    path("workspaces/<int:pk>/evidence/bulk/", evidence.EvidenceBulkApi.as_view(), name="evidence-bulk"),
    path("evidence/<int:pk>/", evidence.EvidenceApi.as_view(), name="evidence-detail"),
    path("evidence/<int:pk>/links/", evidence.EvidenceLinksApi.as_view(), name="evidence-links"),
    path("evidence-links/<int:pk>/", evidence.LinkApi.as_view(), name="link-detail"),
    path("journeys/<int:pk>/evidence-links/", evidence.JourneyLinksApi.as_view(), name="journey-links"),
    path("journeys/<int:pk>/confidence/", evidence.JourneyConfidenceApi.as_view(), name="journey-confidence"),
    path("cards/<int:pk>/confidence/", evidence.CardConfidenceApi.as_view(), name="card-confidence"),
    path("workspaces/<int:pk>/research-trash/", trash.ResearchTrashListApi.as_view(), name="trash-list"),
    path("research-trash/<int:pk>/restore/", trash.ResearchTrashRestoreApi.as_view(), name="trash-restore"),
]
