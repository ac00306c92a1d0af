"""Writes to research: one function per use case, keyword-only, transactional, permission checked once
(STYLE.md). Links are changes to a journey and go through journeys' one way of recording a change
(journeys.services.changes: lock_journey + record_change), so they show in its activity feed and live.

    tags.py      the workspace's taxonomy: create, rename, merge, delete; tags by name
    studies.py   studies: create, update, delete (with their evidence)
    evidence.py  evidence: create, bulk create, update, delete
    links.py     evidence ↔ card/step/stage: link, change stance or note, unlink; "new research" events
    settings.py  the workspace's research settings (recency window)
    trash.py     deleted evidence and studies kept whole, put back (undo), purged after the retention
"""

from .evidence import BulkResult, evidence_bulk_create, evidence_create, evidence_delete, evidence_update
from .links import link_create, link_delete, link_update
from .settings import research_settings_update
from .studies import study_create, study_delete, study_update
from .tags import tag_create, tag_delete, tag_merge, tag_rename
from .trash import (
    Restored,
    research_trash_list,
    research_trash_purge,
    research_trash_recent,
    research_trash_restore,
)

__all__ = [
    "BulkResult", "evidence_bulk_create", "evidence_create", "evidence_delete", "evidence_update",
    "link_create", "link_delete", "link_update", "research_settings_update",
    "study_create", "study_delete", "study_update", "tag_create", "tag_delete", "tag_merge", "tag_rename",
    "Restored", "research_trash_list", "research_trash_purge", "research_trash_recent",
    "research_trash_restore",
]  # fmt: skip
