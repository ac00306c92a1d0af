from django.contrib import admin

from .models import (
    Criterion,
    DeliveryLink,
    InboundDelivery,
    Initiative,
    InitiativeCard,
    InitiativeTarget,
    Integration,
    Score,
    ScoreRevision,
    ScoringModel,
    StatusChange,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    """Versions are never edited (a change makes a new version through the pages or the API)."""

    list_display = ["__str__", "workspace", "is_current", "formula", "use_confidence", "created_at"]
    list_filter = ["workspace", "is_current"]
    list_select_related = ["workspace"]
    raw_id_fields = ["created_by"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "model", "weight", "lower_is_better", "position"]
    list_select_related = ["model"]
    raw_id_fields = ["model"]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["card", "model", "composite", "impact", "effort", "scored_by", "scored_at"]
    list_select_related = ["card", "model", "scored_by"]
    raw_id_fields = ["card", "model", "satisfaction_metric", "scored_by"]


@admin.register(ScoreRevision)
class ScoreRevisionAdmin(admin.ModelAdmin):
    list_display = ["card", "model", "composite", "cleared", "by", "at"]
    list_select_related = ["card", "model", "by"]
    raw_id_fields = ["card", "model", "by"]


class InitiativeCardInline(admin.TabularInline):
    model = InitiativeCard
    extra = 0
    raw_id_fields = ["card", "added_by"]


class InitiativeTargetInline(admin.TabularInline):
    model = InitiativeTarget
    extra = 0
    raw_id_fields = ["metric"]


class DeliveryLinkInline(admin.TabularInline):
    model = DeliveryLink
    extra = 0
    raw_id_fields = ["created_by"]


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "status", "owner", "planned_date", "shipped_date", "version"]
    list_filter = ["workspace", "status"]
    search_fields = ["title"]
    list_select_related = ["workspace", "owner"]
    raw_id_fields = ["owner", "created_by", "updated_by"]
    inlines = [InitiativeCardInline, InitiativeTargetInline, DeliveryLinkInline]


@admin.register(InitiativeCard)
class InitiativeCardAdmin(admin.ModelAdmin):
    list_display = ["initiative", "card", "added_by", "added_at"]
    list_select_related = ["initiative", "card", "added_by"]
    raw_id_fields = ["initiative", "card", "added_by"]


@admin.register(InitiativeTarget)
class InitiativeTargetAdmin(admin.ModelAdmin):
    list_display = ["initiative", "metric", "expected_direction", "expected_size", "size_unit", "verdict"]
    list_select_related = ["initiative", "metric"]
    raw_id_fields = ["initiative", "metric"]


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["initiative", "from_status", "to_status", "via", "by", "at"]
    list_select_related = ["initiative", "by"]
    raw_id_fields = ["initiative", "by"]


@admin.register(DeliveryLink)
class DeliveryLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "initiative", "external_status", "external_updated_at"]
    list_filter = ["provider"]
    search_fields = ["key"]
    list_select_related = ["initiative"]
    raw_id_fields = ["initiative", "created_by"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "workspace", "active", "last_polled_at"]
    list_filter = ["provider", "active"]
    list_select_related = ["workspace"]
    raw_id_fields = ["created_by"]
    exclude = ["secret", "api_token"]  # secrets are set and rotated through the integration's page


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "integration", "issue_key", "external_status", "outcome", "received_at"]
    list_filter = ["outcome"]
    list_select_related = ["integration"]
    raw_id_fields = ["integration"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "workspace", "active", "created_at"]
    list_select_related = ["workspace"]
    raw_id_fields = ["created_by"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "webhook", "event", "state", "attempts", "last_status_code", "created_at"]
    list_filter = ["state", "event"]
    list_select_related = ["webhook"]
    raw_id_fields = ["webhook"]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ["delivery", "at", "status_code", "error", "duration_ms"]
    list_select_related = ["delivery"]
    raw_id_fields = ["delivery"]
