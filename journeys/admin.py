from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import (
    Activity,
    Card,
    Comment,
    Journey,
    JourneyGroupPermission,
    JourneyUserPermission,
    Lane,
    MapVersion,
    SavedView,
    Stage,
    Step,
    TrashedItem,
    WaitingRow,
)


@admin.register(Journey)
class JourneyAdmin(GuardedModelAdmin):
    list_display = ["title", "workspace", "level", "state", "owner", "visibility", "archived", "revision"]
    list_filter = ["workspace", "level", "state", "visibility", "archived"]
    search_fields = ["title", "persona"]
    list_select_related = ["workspace", "owner"]
    raw_id_fields = ["parent", "current_state_of", "owner", "updated_by"]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["title", "journey", "position", "standard_stage", "version"]
    list_select_related = ["journey"]
    raw_id_fields = ["journey"]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["title", "journey", "stage", "position", "sub_journey", "version"]
    list_select_related = ["journey", "stage", "sub_journey"]
    raw_id_fields = ["journey", "stage", "sub_journey"]


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    list_display = ["title", "journey", "kind", "position", "version"]
    list_filter = ["kind"]
    list_select_related = ["journey"]
    raw_id_fields = ["journey"]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["text", "journey", "lane", "step", "position", "emotion_score", "version"]
    search_fields = ["text"]
    list_select_related = ["journey", "lane", "step"]
    raw_id_fields = ["journey", "lane", "step", "created_by"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "journey", "actor", "verb", "summary"]
    list_select_related = ["journey", "actor"]
    raw_id_fields = ["journey", "actor"]


@admin.register(MapVersion)
class MapVersionAdmin(admin.ModelAdmin):
    list_display = ["journey", "label", "kind", "revision", "created_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["journey", "created_by"]
    raw_id_fields = ["journey", "created_by"]
    exclude = ["snapshot"]  # large JSON: read it through the versions page or the API


@admin.register(TrashedItem)
class TrashedItemAdmin(admin.ModelAdmin):
    list_display = ["journey", "kind", "title", "deleted_by", "deleted_at", "restored_at"]
    list_filter = ["kind"]
    list_select_related = ["journey", "deleted_by"]
    raw_id_fields = ["journey", "deleted_by"]
    exclude = ["payload"]


@admin.register(WaitingRow)
class WaitingRowAdmin(admin.ModelAdmin):
    list_display = ["model", "journey", "created_at"]
    list_filter = ["model"]
    list_select_related = ["journey"]
    raw_id_fields = ["journey"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["body", "journey", "card", "author", "created_at", "resolved_at"]
    search_fields = ["body"]
    list_select_related = ["journey", "card", "author"]
    raw_id_fields = ["journey", "card", "thread", "author", "resolved_by", "mentions"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "journey", "created_by", "created_at"]
    list_select_related = ["journey", "created_by"]
    raw_id_fields = ["journey", "created_by"]


@admin.register(JourneyUserPermission)
class JourneyUserPermissionAdmin(admin.ModelAdmin):
    list_display = ["content_object", "user", "permission"]
    list_select_related = ["content_object", "user", "permission"]
    raw_id_fields = ["content_object", "user"]


@admin.register(JourneyGroupPermission)
class JourneyGroupPermissionAdmin(admin.ModelAdmin):
    list_display = ["content_object", "group", "permission"]
    list_select_related = ["content_object", "group", "permission"]
    raw_id_fields = ["content_object", "group"]
