from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Import jobs, for support: who imported what, where it stands, its errors. The file's bytes are not
    shown (up to 50 MB) and are never loaded for the list."""

    list_display = (
        "id",
        "kind",
        "filename",
        "created_by",
        "status",
        "total_rows",
        "error_count",
        "created_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("filename", "created_by__username")
    raw_id_fields = ("created_by",)
    readonly_fields = ("created_at", "updated_at", "size")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data").select_related("created_by")
