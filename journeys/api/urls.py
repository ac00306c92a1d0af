from django.urls import path

from . import journeys as api  # noqa: I001
from . import structure as api_structure
from . import versions as api_versions

app_name = "journeys-api"
urlpatterns = [
    path("journeys/", api.JourneyListApi.as_view(), name="journey-list"),
    path("journeys/<int:pk>/", api.JourneyDetailApi.as_view(), name="journey-detail"),
    path("journeys/<int:pk>/map/", api.JourneyMapApi.as_view(), name="journey-map"),
    path("journeys/<int:pk>/grants/", api.JourneyGrantsApi.as_view(), name="journey-grants"),
    path("journeys/<int:pk>/stages/", api.JourneyStagesApi.as_view(), name="journey-stages"),
    path("journeys/<int:pk>/steps/", api.JourneyStepsApi.as_view(), name="journey-steps"),
    path("journeys/<int:pk>/lanes/", api.JourneyLanesApi.as_view(), name="journey-lanes"),
    path("journeys/<int:pk>/cards/", api.JourneyCardsApi.as_view(), name="journey-cards"),
    path("stages/<int:pk>/", api.StageApi.as_view(), name="stage-detail"),
    path("stages/<int:pk>/move/", api.StageMoveApi.as_view(), name="stage-move"),
    path("stages/<int:pk>/steps/", api.StageStepsApi.as_view(), name="stage-steps"),
    path("steps/<int:pk>/", api.StepApi.as_view(), name="step-detail"),
    path("steps/<int:pk>/move/", api.StepMoveApi.as_view(), name="step-move"),
    path("lanes/<int:pk>/", api.LaneApi.as_view(), name="lane-detail"),
    path("lanes/<int:pk>/move/", api.LaneMoveApi.as_view(), name="lane-move"),
    path("cards/<int:pk>/", api.CardApi.as_view(), name="card-detail"),
    path("cards/<int:pk>/move/", api.CardMoveApi.as_view(), name="card-move"),
    # Structure across journeys (journeys/api/structure.py).
    path("journeys/<int:pk>/copy/", api_structure.JourneyCopyApi.as_view(), name="journey-copy"),
    path("journeys/<int:pk>/template/", api_structure.JourneyTemplateApi.as_view(), name="journey-template"),
    path(
        "journeys/<int:pk>/ancestors/", api_structure.JourneyAncestorsApi.as_view(), name="journey-ancestors"
    ),
    path("journeys/<int:pk>/compare/", api_structure.JourneyCompareApi.as_view(), name="journey-compare"),
    path("journeys/<int:pk>/saved-views/", api_structure.SavedViewsApi.as_view(), name="journey-saved-views"),
    path("saved-views/<int:pk>/", api_structure.SavedViewApi.as_view(), name="saved-view-detail"),
    path("steps/<int:pk>/sub-journey/", api_structure.StepSubJourneyApi.as_view(), name="step-sub-journey"),
    path("templates/", api_structure.TemplateListApi.as_view(), name="template-list"),
    # History and discussion (journeys/api/versions.py).
    path("journeys/<int:pk>/versions/", api_versions.JourneyVersionsApi.as_view(), name="journey-versions"),
    path(
        "journeys/<int:pk>/versions/diff/",
        api_versions.JourneyVersionDiffApi.as_view(),
        name="journey-versions-diff",
    ),
    path("versions/<int:pk>/", api_versions.VersionApi.as_view(), name="version-detail"),
    path("versions/<int:pk>/restore/", api_versions.VersionRestoreApi.as_view(), name="version-restore"),
    path("journeys/<int:pk>/trash/", api_versions.JourneyTrashApi.as_view(), name="journey-trash"),
    path("trash/<int:pk>/restore/", api_versions.TrashRestoreApi.as_view(), name="trash-restore"),
    path("cards/<int:pk>/comments/", api_versions.CardCommentsApi.as_view(), name="card-comments"),
    path("journeys/<int:pk>/people/", api_versions.JourneyPeopleApi.as_view(), name="journey-people"),
    path("comments/<int:pk>/", api_versions.CommentApi.as_view(), name="comment-detail"),
    path("comments/<int:pk>/resolve/", api_versions.CommentResolveApi.as_view(), name="comment-resolve"),
    path("comments/<int:pk>/reopen/", api_versions.CommentReopenApi.as_view(), name="comment-reopen"),
]
