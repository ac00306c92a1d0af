from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Activity, Card, Journey, Lane, Stage, Step


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
