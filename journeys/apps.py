from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "journeys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import hooks

        from . import access

        # A person removed from a workspace keeps no grant on its journeys (re-inviting them starts afresh).
        hooks.on_member_removed(access.grants_forget_member)
