from django.contrib import admin

from .models import Evidence, EvidenceLink, ResearchEvent, ResearchSettings, ResearchTrash, Study, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["name"]
    list_select_related = ["workspace"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "method", "started_on", "ended_on", "participants", "version"]
    list_filter = ["workspace", "method"]
    search_fields = ["title", "segment"]
    list_select_related = ["workspace"]
    raw_id_fields = ["owner", "created_by", "updated_by"]
    filter_horizontal = ["tags"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "study", "kind", "participant", "captured_on", "version"]
    list_filter = ["workspace", "kind"]
    search_fields = ["text", "participant", "external_id"]
    list_select_related = ["workspace", "study"]
    raw_id_fields = ["study", "created_by", "updated_by"]
    filter_horizontal = ["tags"]


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(admin.ModelAdmin):
    list_display = ["evidence", "journey", "card", "step", "stage", "stance", "created_at"]
    list_filter = ["stance"]
    list_select_related = ["evidence", "journey", "card", "step", "stage"]
    raw_id_fields = ["evidence", "journey", "card", "step", "stage", "created_by"]


@admin.register(ResearchEvent)
class ResearchEventAdmin(admin.ModelAdmin):
    list_display = ["journey", "evidence", "by", "at"]
    list_select_related = ["journey", "evidence", "by"]
    raw_id_fields = ["journey", "evidence", "by"]


@admin.register(ResearchSettings)
class ResearchSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "recency_months"]
    list_select_related = ["workspace"]


@admin.register(ResearchTrash)
class ResearchTrashAdmin(admin.ModelAdmin):
    """What a delete kept for undo (services/trash.py). The payload is the rows as they were: read it here,
    put it back through the pages or the API (restoring by hand here would skip the journeys' records)."""

    list_display = ["title", "kind", "workspace", "evidence_count", "deleted_by", "deleted_at", "restored_at"]
    list_filter = ["kind"]
    list_select_related = ["workspace", "deleted_by"]
    raw_id_fields = ["workspace", "deleted_by", "restored_by"]
    readonly_fields = ["payload"]
