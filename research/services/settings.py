"""The workspace's research settings."""

from django.db import transaction

from accounts.models import User

from .. import access
from ..models import ResearchSettings


@transaction.atomic
def research_settings_update(*, workspace_id: int, by: User, recency_months: int) -> ResearchSettings:
    """Set how many months evidence stays recent for confidence (workspace admins; 1…120).
    Raises ValidationError on `recency_months`."""
    access.workspace_for(by, workspace_id, need=access.ADMIN)
    settings, _ = ResearchSettings.objects.select_for_update().get_or_create(workspace_id=workspace_id)
    settings.recency_months = recency_months
    settings.full_clean(exclude=["workspace"])
    settings.save(update_fields=["recency_months"])
    return settings
