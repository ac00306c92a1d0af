"""Django admin for metrics (staff only): for looking, not for writing around the services."""

from django.contrib import admin

from .models import Measurement, Metric, MetricShift, MetricsSettings


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit", "journey", "stage", "step", "weight", "version"]
    list_filter = ["kind", "unit", "direction"]
    search_fields = ["name"]
    raw_id_fields = ["journey", "stage", "step", "owner", "created_by", "updated_by"]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["metric", "period_start", "period_end", "segment", "value", "source", "entered_at"]
    list_filter = ["source"]
    raw_id_fields = ["metric", "entered_by"]


@admin.register(MetricShift)
class MetricShiftAdmin(admin.ModelAdmin):
    list_display = ["metric", "journey", "period_start", "period_end", "direction", "size", "rule"]
    raw_id_fields = ["metric", "journey"]


@admin.register(MetricsSettings)
class MetricsSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "shift_sigmas", "shift_window", "shift_min_history", "shift_relative"]
    raw_id_fields = ["workspace"]
