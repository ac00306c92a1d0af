"""What core keeps in the database: import jobs (core/imports.py runs them)."""

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One file a person imports, from upload to result. The file's bytes stay here (web and worker
    processes share no disk) until the import is done. `kind` names the registered importer
    (core/imports.py), `target` what it imports into ({"study": 12}), as JSON ids."""

    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for the column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        INVALID = "invalid", "Not imported: the file has errors"
        DONE = "done", "Imported"

    kind = models.CharField(max_length=64)
    target = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    data = models.BinaryField(help_text="The uploaded file; emptied once imported.")
    encoding = models.CharField(max_length=32)
    encoding_certain = models.BooleanField(default=True)
    delimiter = models.CharField(max_length=1)
    date_order = models.CharField(max_length=3, blank=True)
    mapping = models.JSONField(default=dict, help_text="Column name → index of the file's column, or null.")
    header = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.MAPPING)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(
        default=0, help_text="Rows read so far (the first half of the work)."
    )
    errors = models.JSONField(
        default=list, help_text="The first ERRORS_KEPT line errors: {line, column, message}."
    )
    error_count = models.PositiveIntegerField(default=0)
    result = models.JSONField(
        default=dict, help_text="What the import did: {'created': n, 'unchanged': m, …}."
    )

    ERRORS_KEPT = 500

    class Meta:
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self):
        return f"{self.kind} import of {self.filename} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.INVALID, self.Status.DONE}
