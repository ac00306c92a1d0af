"""The pages of prioritization (namespace `prioritization`); its API is prioritization/api/urls.py
(`prioritization-api`)."""

from django.urls import path

from .views import initiatives, integrations, queue, scoring, webhooks

app_name = "prioritization"

urlpatterns = [
    # The queue: every pain point and opportunity the reader can see, ranked; the impact/effort matrix; CSV.
    path("queue/", queue.queue_list, name="queue"),
    path("queue/matrix/", queue.queue_matrix, name="queue_matrix"),
    path("queue/export.csv", queue.queue_export, name="queue_export"),
    # Scoring: a card's score panel (the map's Priority view opens it in its side panel) and history, the
    # workspace's scoring model, the rule explained.
    path("cards/<int:card_id>/score/", scoring.card_score, name="card_score"),
    path("cards/<int:card_id>/score/history/", scoring.card_score_history, name="card_score_history"),
    path("workspaces/<int:pk>/scoring/", scoring.scoring_model, name="scoring_model"),
    path("help/scoring/", scoring.scoring_help, name="scoring_help"),
    # Initiatives: the list and board, an initiative's page, its forms, status, cards, targets, delivery
    # links; how outcomes are measured.
    path("initiatives/", initiatives.initiative_list, name="initiatives"),
    path("initiatives/board/", initiatives.initiative_board, name="initiative_board"),
    path("initiatives/new/", initiatives.initiative_create, name="initiative_create"),
    path("initiatives/<int:pk>/", initiatives.initiative_detail, name="initiative"),
    path("initiatives/<int:pk>/edit/", initiatives.initiative_edit, name="initiative_edit"),
    path("initiatives/<int:pk>/delete/", initiatives.initiative_delete, name="initiative_delete"),
    path("initiatives/<int:pk>/status/", initiatives.initiative_status, name="initiative_status"),
    path("initiatives/<int:pk>/cards/", initiatives.initiative_cards, name="initiative_cards"),
    path(
        "initiatives/<int:pk>/cards/<int:card_id>/unlink/",
        initiatives.initiative_card_unlink,
        name="initiative_card_unlink",
    ),
    path("initiatives/<int:pk>/targets/", initiatives.initiative_targets, name="initiative_targets"),
    path("initiative-targets/<int:pk>/", initiatives.initiative_target_edit, name="initiative_target"),
    path(
        "initiative-targets/<int:pk>/remove/",
        initiatives.initiative_target_remove,
        name="initiative_target_remove",
    ),
    path("initiatives/<int:pk>/links/", initiatives.initiative_links, name="initiative_links"),
    path("delivery-links/<int:pk>/remove/", initiatives.delivery_link_remove, name="delivery_link_remove"),
    path("help/outcomes/", initiatives.outcomes_help, name="outcomes_help"),
    # Delivery sync (admins): Jira and Asana in, webhooks out.
    path("integrations/", integrations.integration_list, name="integrations"),
    path("integrations/new/", integrations.integration_create, name="integration_create"),
    path("integrations/<int:pk>/", integrations.integration_detail, name="integration"),
    path("integrations/<int:pk>/rotate/", integrations.integration_rotate, name="integration_rotate"),
    path("integrations/<int:pk>/check/", integrations.integration_poll, name="integration_poll"),
    path("integrations/<int:pk>/delete/", integrations.integration_delete, name="integration_delete"),
    # What Jira and Asana call: no session; the token finds the integration, the signature authenticates.
    path("sync/jira/<uuid:token>/", integrations.jira_webhook, name="jira_webhook"),
    path("sync/asana/<uuid:token>/", integrations.asana_webhook, name="asana_webhook"),
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", webhooks.webhook_test, name="webhook_test"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/deliveries/", webhooks.webhook_deliveries, name="webhook_deliveries"),
    path("webhook-deliveries/<int:pk>/resend/", webhooks.delivery_resend, name="delivery_resend"),
]
