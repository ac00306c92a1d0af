"""The workspace's research taxonomy: tags shared by studies and evidence. Renaming a tag or merging it
into another keeps everything it tags (studies and evidence point at the tag's row, not its name)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from accounts.models import User
from core.text import has_line_break, is_blank, strip_invisible

from .. import access
from ..models import MAX_TAGS, Evidence, ResearchTrash, Study, Tag


def clean_names(names, field: str = "tags") -> list[str]:
    """Tag names as given (a list of str), checked by the Tag name field's rules and deduplicated without
    regard to case (the first spelling wins). ValidationError on `field` naming the tag by its number."""
    names = list(names or [])
    if len(names) > MAX_TAGS:
        raise ValidationError({field: f"At most {MAX_TAGS} tags (you have {len(names)})."})
    name_field = Tag._meta.get_field("name")
    out, seen = [], set()
    for n, raw in enumerate(names, start=1):
        if not isinstance(raw, str) or has_line_break(raw):
            raise ValidationError({field: f"Tag {n}: give one line of text."})
        name = strip_invisible(raw)
        try:
            name_field.run_validators(name)
            if is_blank(name):
                raise ValidationError("Tag is empty or invisible.")
        except ValidationError as exc:
            raise ValidationError({field: [f"Tag {n}: {m}" for m in exc.messages]}) from None
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def tags_resolve(*, workspace_id: int, names: list[str]) -> list[Tag]:
    """The workspace's tags of these (checked, see `clean_names`) names, made when missing, matched without
    regard to case. Called by services that already checked the right to write. Three queries at most."""
    if not names:
        return []
    keys = [name.lower() for name in names]

    def existing():
        rows = Tag.objects.annotate(key=Lower("name")).filter(workspace_id=workspace_id, key__in=keys)
        return {tag.key: tag for tag in rows}

    found = existing()
    missing = [name for name in names if name.lower() not in found]
    if missing:
        Tag.objects.bulk_create(
            [Tag(workspace_id=workspace_id, name=name) for name in missing], ignore_conflicts=True
        )
        found = existing()
    return [found[key] for key in keys]


@transaction.atomic
def tag_create(*, workspace_id: int, by: User, name: str) -> Tag:
    """Add a tag to the workspace's taxonomy (editors and admins)."""
    access.workspace_for(by, workspace_id, need=access.WRITE)
    (name,) = clean_names([name], "name") or [""]
    if Tag.objects.filter(workspace_id=workspace_id, name__iexact=name).exists():
        raise ValidationError({"name": "The workspace has a tag of that name already."})
    return Tag.objects.create(workspace_id=workspace_id, name=name)


@transaction.atomic
def tag_rename(*, tag_id: int, by: User, name: str) -> Tag:
    """Rename a tag; what it tags keeps it."""
    tag = access.tag_for(by, tag_id, need=access.WRITE, queryset=Tag.objects.select_for_update(of=("self",)))
    (name,) = clean_names([name], "name") or [""]
    clash = Tag.objects.filter(workspace_id=tag.workspace_id, name__iexact=name).exclude(pk=tag.pk)
    if clash.exists():
        raise ValidationError(
            {"name": "The workspace has a tag of that name already: merge into it instead."}
        )
    tag.name = name
    tag.save(update_fields=["name"])
    return tag


@transaction.atomic
def tag_merge(*, tag_id: int, into_id: int, by: User) -> Tag:
    """Merge a tag into another of the same workspace: what the first tags gets the second (once), and the
    first goes. Returns the tag merged into."""
    tag = access.tag_for(by, tag_id, need=access.WRITE, queryset=Tag.objects.select_for_update(of=("self",)))
    into = Tag.objects.select_for_update().filter(pk=into_id, workspace_id=tag.workspace_id).first()
    if into is None:
        raise ValidationError({"into": f"No tag {into_id} in this workspace."})
    if into.pk == tag.pk:
        raise ValidationError({"into": "A tag cannot be merged into itself."})
    for model in (Study, Evidence):
        through = model.tags.through
        owner = f"{model._meta.model_name}_id"
        have = through.objects.filter(tag_id=into.pk).values(owner)
        moving = through.objects.filter(tag_id=tag.pk).exclude(**{f"{owner}__in": have})
        through.objects.bulk_create(
            [through(**{owner: pk, "tag_id": into.pk}) for pk in moving.values_list(owner, flat=True)]
        )
    old_id = tag.pk
    tag.delete()  # its remaining through rows (duplicates of `into`'s) go with it
    _trash_follows_merge(workspace_id=tag.workspace_id, old_id=old_id, into=into)
    return into


def _trash_follows_merge(*, workspace_id: int, old_id: int, into: Tag) -> None:
    """Deleted evidence and studies (research's trash, not yet put back) that had the merged tag get the tag
    it was merged into when put back, once each, like those on the pages (two queries)."""
    items = list(
        ResearchTrash.objects.select_for_update()
        .filter(workspace_id=workspace_id, restored_at__isnull=True, payload__tags__has_key=str(old_id))
        .only("pk", "payload")
    )
    labels = (Study.tags.through._meta.label, Evidence.tags.through._meta.label)
    for item in items:
        payload = item.payload
        for label, owner in zip(labels, ("study_id", "evidence_id"), strict=True):
            rows = payload.get("rows", {}).get(label, [])
            have = {row[owner] for row in rows if row["tag_id"] == into.pk}
            kept = []
            for row in rows:
                if row["tag_id"] == old_id:
                    if row[owner] in have:
                        continue  # it had both: once is enough
                    row = {**row, "tag_id": into.pk}
                    have.add(row[owner])
                kept.append(row)
            if rows:
                payload["rows"][label] = kept
        payload["tags"].pop(str(old_id), None)
        payload["tags"][str(into.pk)] = into.name
    if items:
        ResearchTrash.objects.bulk_update(items, ["payload"])


@transaction.atomic
def tag_delete(*, tag_id: int, by: User) -> None:
    """Delete a tag: the studies and evidence it tagged lose it (they stay)."""
    tag = access.tag_for(by, tag_id, need=access.WRITE, queryset=Tag.objects.select_for_update(of=("self",)))
    tag.delete()
