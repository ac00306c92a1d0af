from django.apps import AppConfig


class PrioritizationConfig(AppConfig):
    name = "prioritization"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Prioritization and delivery"
