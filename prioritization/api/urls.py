from django.urls import path

from . import initiatives, integrations, queue, scoring

app_name = "prioritization-api"
urlpatterns = [
    # The queue (api/queue.py): pain points and opportunities ranked, with the queue page's filters and sorts.
    path("workspaces/<int:pk>/queue/", queue.QueueApi.as_view(), name="queue"),
    # Scoring (api/scoring.py): the workspace's scoring model and its versions, card scores and history.
    path(
        "workspaces/<int:pk>/scoring-models/",
        scoring.ScoringModelListApi.as_view(),
        name="scoring-model-list",
    ),
    path(
        "workspaces/<int:pk>/scoring-models/current/",
        scoring.ScoringModelCurrentApi.as_view(),
        name="scoring-model-current",
    ),
    path("scoring-models/<int:pk>/", scoring.ScoringModelApi.as_view(), name="scoring-model-detail"),
    path("cards/<int:pk>/score/", scoring.CardScoreApi.as_view(), name="card-score"),
    path("cards/<int:pk>/score/history/", scoring.CardScoreHistoryApi.as_view(), name="card-score-history"),
    path(
        "journeys/<int:pk>/card-scores/", scoring.JourneyCardScoresApi.as_view(), name="journey-card-scores"
    ),
    path("workspaces/<int:pk>/initiatives/", initiatives.InitiativeListApi.as_view(), name="initiative-list"),
    path("initiatives/<int:pk>/", initiatives.InitiativeApi.as_view(), name="initiative-detail"),
    path("initiatives/<int:pk>/status/", initiatives.InitiativeStatusApi.as_view(), name="initiative-status"),
    path("initiatives/<int:pk>/cards/", initiatives.InitiativeCardsApi.as_view(), name="initiative-cards"),
    path(
        "initiatives/<int:pk>/cards/<int:card_id>/",
        initiatives.InitiativeCardApi.as_view(),
        name="initiative-card",
    ),
    path(
        "initiatives/<int:pk>/targets/", initiatives.InitiativeTargetsApi.as_view(), name="initiative-targets"
    ),
    path("initiative-targets/<int:pk>/", initiatives.TargetApi.as_view(), name="initiative-target"),
    path(
        "initiatives/<int:pk>/outcome/", initiatives.InitiativeOutcomeApi.as_view(), name="initiative-outcome"
    ),
    path(
        "initiatives/<int:pk>/delivery-links/",
        initiatives.InitiativeLinksApi.as_view(),
        name="initiative-delivery-links",
    ),
    path("delivery-links/<int:pk>/", initiatives.DeliveryLinkApi.as_view(), name="delivery-link"),
    path(
        "workspaces/<int:pk>/integrations/",
        integrations.IntegrationListApi.as_view(),
        name="integration-list",
    ),
    path("integrations/<int:pk>/", integrations.IntegrationApi.as_view(), name="integration-detail"),
    path(
        "integrations/<int:pk>/rotate-secret/",
        integrations.IntegrationRotateApi.as_view(),
        name="integration-rotate",
    ),
    path(
        "integrations/<int:pk>/deliveries/",
        integrations.InboundListApi.as_view(),
        name="integration-deliveries",
    ),
    path("workspaces/<int:pk>/webhooks/", integrations.WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", integrations.WebhookApi.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/rotate-secret/", integrations.WebhookRotateApi.as_view(), name="webhook-rotate"),
    path("webhooks/<int:pk>/test/", integrations.WebhookTestApi.as_view(), name="webhook-test"),
    path("webhooks/<int:pk>/deliveries/", integrations.DeliveryListApi.as_view(), name="webhook-deliveries"),
    path(
        "webhook-deliveries/<int:pk>/resend/",
        integrations.DeliveryResendApi.as_view(),
        name="webhook-delivery-resend",
    ),
]
