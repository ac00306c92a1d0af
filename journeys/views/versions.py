"""Pages of a map's history and discussion: the versions list (save a named version, pick two to compare,
restore, recently deleted), a past version read-only, the readable diff, undo of a deletion (HTMX), and
the comment thread panel of a card (HTMX partial).

Thin like journeys/views/journeys.py: check access (journeys.access), call a service or read, render.
"""

import difflib
import json
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.forms import text_field_for
from core.text import parse_id

from .. import access
from ..models import Card, Comment, Journey, LaneKind, MapVersion, StandardStage, TrashedItem
from ..services import comments, trash, versioning
from .grid import grid_context, visible_in_workspace
from .journeys import JOURNEY_PAGE_QUERYSET

KIND_LABELS = {"stage": "Stage", "step": "Step", "lane": "Lane", "card": "Card"}
FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "standard_stage": "Standard stage",
    "sub_journey": "Drills down to",
    "kind": "Kind",
    "text": "Text",
    "note": "Note",
    "emotion_score": "Emotion score",
    "channel": "Channel",
}
WORDY_FIELDS = {"title", "description", "text", "note"}  # shown as a word-by-word diff
STATUS_LABELS = {"added": "Added", "removed": "Removed", "changed": "Changed", "moved": "Moved"}


def _can(journey, level) -> bool:
    return access.rank(journey.access_level) >= access.rank(level)


class VersionSaveForm(forms.Form):
    label = text_field_for(
        MapVersion,
        "label",
        required=True,
        label="Name",
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. After the Q3 research read-out", "autocomplete": "off"}
        ),
    )


# ---------------------------------------------------------------------------------------------- versions


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_list(request, pk):
    """A journey's history: its versions (pick two to compare, restore one), a form to save a named version,
    and recently deleted elements to put back."""
    need = access.EDIT if request.method == "POST" else access.VIEW
    journey = access.journey_for(request.user, pk, need=need, queryset=JOURNEY_PAGE_QUERYSET)
    form = VersionSaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = versioning.version_save(
                journey_id=journey.pk, by=request.user, label=form.cleaned_data["label"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Version “{version.label}” saved.")
            return redirect("journeys:versions", pk=journey.pk)
    versions = list(versioning.version_list(journey=journey))
    restored = None
    restored_id = parse_id(request.GET.get("restored"))
    if restored_id is not None:
        restored = next((v for v in versions if v.pk == restored_id), None)
    context = {
        "journey": journey,
        "versions": versions,
        "latest": versions[0] if versions else None,
        "trash_items": list(trash.trash_list(journey=journey)),
        "form": form,
        "can_edit": _can(journey, access.EDIT),
        "restored": restored,
        "tab": "history",
    }
    return render(request, "journeys/version_list.html", context, status=400 if form.errors else 200)


def _version(journey, version_id, *, with_snapshot=True) -> MapVersion:
    qs = versioning.version_list(journey=journey)
    if with_snapshot:
        qs = qs.defer(None)
    version = qs.filter(pk=version_id).first()
    if version is None:
        raise Http404("No such version of this journey.")
    return version


@login_required
@require_safe
def version_detail(request, pk, version_id):
    """A past version of the map, read-only, drawn by the same grid as the live map."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=JOURNEY_PAGE_QUERYSET)
    version = _version(journey, version_id)
    visible = visible_in_workspace(request.user, journey)
    grid = grid_context(
        versioning.snapshot_map(journey, version.snapshot),
        linkable_journeys={pk: row["title"] for pk, row in visible.items()},
        linkable_states={pk: row["state"] for pk, row in visible.items()},
    )
    context = {
        **grid,
        "journey": journey,
        "version": version,
        "is_current": version.revision == journey.revision,
        "can_edit": _can(journey, access.EDIT),
        "tab": "history",
    }
    return render(request, "journeys/version_detail.html", context)


@login_required
@require_POST
def version_restore(request, pk, version_id):
    """Make the map equal to a version (editors); the page that follows offers to undo it."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    version = _version(journey, version_id, with_snapshot=False)
    try:
        before = versioning.version_restore(version_id=version.pk, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("journeys:versions", pk=journey.pk)
    messages.success(request, f"The map now equals the version “{version}”.")
    return redirect(f"{reverse('journeys:versions', args=[journey.pk])}?restored={before.pk}")


# ---------------------------------------------------------------------------------------------- diff


REWRITE_RATIO = 0.5  # share of words in common below which a change counts as a rewrite


def word_diff(before: str, after: str) -> list[dict]:
    """`before` → `after` as pieces kept, deleted and inserted, word by word (templates escape the text).

    When most words changed, the whole old text then the whole new text reads better than alternating
    single words, so a rewrite is shown as one deletion and one insertion."""
    a, b = re.findall(r"\s+|\S+", before or ""), re.findall(r"\s+|\S+", after or "")
    words_a, words_b = (before or "").split(), (after or "").split()
    if (
        words_a
        and words_b
        and difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False).ratio() < REWRITE_RATIO
    ):
        return [{"op": "delete", "text": before}, {"op": "insert", "text": after}]
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append({"op": "equal", "text": "".join(a[i1:i2])})
            continue
        if i2 > i1:
            pieces.append({"op": "delete", "text": "".join(a[i1:i2])})
        if j2 > j1:
            pieces.append({"op": "insert", "text": "".join(b[j1:j2])})
    return pieces


class _Names:
    """Titles and places of stages, steps and lanes in either snapshot (the newer one wins)."""

    def __init__(self, before: dict, after: dict, journeys: dict):
        self.journeys = journeys
        self.stages, self.steps, self.lanes = {}, {}, {}
        for snap in (before, after):
            self.stages.update({s["id"]: s for s in snap.get("stages", [])})
            self.steps.update({s["id"]: s for s in snap.get("steps", [])})
            self.lanes.update({x["id"]: x for x in snap.get("lanes", [])})

    def stage(self, pk) -> str:
        return self.stages[pk]["title"] if pk in self.stages else "a stage"

    def step(self, pk) -> str:
        step = self.steps.get(pk)
        return f"{self.stage(step['stage'])} › {step['title']}" if step else "a step"

    def lane(self, pk) -> str:
        return self.lanes[pk]["title"] if pk in self.lanes else "a lane"

    def cell(self, element: dict, *, with_lane: bool = True) -> str:
        step = self.step(element["step"])
        return f"{self.lane(element['lane'])} · {step}" if with_lane else step

    def value(self, field: str, value) -> str:
        if value in (None, ""):
            return ""
        if field == "kind":
            return LaneKind(value).label if value in LaneKind.values else str(value)
        if field == "standard_stage":
            return StandardStage(value).label if value in StandardStage.values else str(value)
        if field == "emotion_score":
            return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "0"
        if field == "sub_journey":
            return self.journeys.get(value, "a journey you cannot open")
        return str(value)


def _move_text(entry: versioning.ElementDiff, names: _Names) -> str:
    before, after = entry.before, entry.after
    if entry.kind == "card":
        if entry.parent_changed:
            lanes = before["lane"] != after["lane"]
            return f"Moved from {names.cell(before, with_lane=lanes)} to {names.cell(after, with_lane=lanes)}"
        return "Reordered within its cell"
    if entry.kind == "step" and entry.parent_changed:
        return f"Moved from stage “{names.stage(before['stage'])}” to “{names.stage(after['stage'])}”"
    return f"Moved from position {before['position'] + 1} to {after['position'] + 1}"


def _entry(entry: versioning.ElementDiff, names: _Names) -> dict:
    """One element of the diff as the page shows it."""
    element = entry.element
    main = "text" if entry.kind == "card" else "title"
    fields, main_pieces = [], None
    for change in entry.fields:
        if change.field == main:
            main_pieces = word_diff(change.before or "", change.after or "")
            continue
        before, after = names.value(change.field, change.before), names.value(change.field, change.after)
        fields.append(
            {
                "label": FIELD_LABELS.get(change.field, change.field),
                "wordy": change.field in WORDY_FIELDS,
                "pieces": word_diff(before, after) if change.field in WORDY_FIELDS else [],
                "before": before,
                "after": after,
            }
        )
    where = ""
    if entry.kind == "card":
        where = names.cell(element, with_lane=False)  # cards are shown grouped by lane
    return {
        "kind": entry.kind,
        "kind_label": KIND_LABELS[entry.kind],
        "id": entry.id,
        "status": entry.status,
        "status_label": STATUS_LABELS[entry.status],
        "title": element[main],
        "main_pieces": main_pieces,  # the title (or a card's text) word by word, when it changed
        "fields": fields,  # the other changed fields
        "moved": entry.moved,
        "move": _move_text(entry, names) if entry.moved else "",
        "where": where,
        "lane_kind": names.lanes.get(element.get("lane"), {}).get("kind", "") if entry.kind == "card" else "",
        "note": element.get("note", "") if entry.kind == "card" else "",
    }


def _order_of(snapshots, plural) -> dict:
    """A display order for stages or lanes of both snapshots: the newer order, removed ones after."""
    order = {}
    for snap in reversed(snapshots):
        for element in sorted(snap.get(plural, []), key=lambda e: e["position"]):
            order.setdefault(element["id"], len(order))
    return order


def diff_sections(diff: versioning.MapDiff, journeys: dict) -> dict:
    """The diff grouped for reading: stages with their steps, lanes, and cards by lane (then by step)."""
    names = _Names(diff.before, diff.after, journeys)
    snapshots = (diff.before, diff.after)
    stage_order, lane_order = _order_of(snapshots, "stages"), _order_of(snapshots, "lanes")
    step_order = {
        pk: (stage_order.get(step["stage"], 0), step["position"]) for pk, step in names.steps.items()
    }

    stage_groups = {}
    for entry in diff.of("stage"):
        stage_groups.setdefault(
            entry.id, {"id": entry.id, "title": names.stage(entry.id), "stage": None, "steps": []}
        )
        stage_groups[entry.id]["stage"] = _entry(entry, names)
    for entry in sorted(diff.of("step"), key=lambda e: e.element["position"]):
        stage_id = entry.element["stage"]
        group = stage_groups.setdefault(
            stage_id, {"id": stage_id, "title": names.stage(stage_id), "stage": None, "steps": []}
        )
        group["steps"].append(_entry(entry, names))

    card_groups = {}
    for entry in sorted(
        diff.of("card"), key=lambda e: (step_order.get(e.element["step"], (0, 0)), e.element["position"])
    ):
        lane_id = entry.element["lane"]
        lane = names.lanes.get(lane_id, {})
        group = card_groups.setdefault(
            lane_id,
            {"id": lane_id, "title": names.lane(lane_id), "kind": lane.get("kind", "text"), "cards": []},
        )
        group["cards"].append(_entry(entry, names))

    return {
        "stages": sorted(stage_groups.values(), key=lambda g: stage_order.get(g["id"], 0)),
        "lanes": [_entry(e, names) for e in sorted(diff.of("lane"), key=lambda e: lane_order.get(e.id, 0))],
        "cards": sorted(card_groups.values(), key=lambda g: lane_order.get(g["id"], 0)),
    }


def _sub_journey_titles(user, diff: versioning.MapDiff) -> dict:
    """{id: title} of journeys named by changed drill-down links that the user may see (one query at most)."""
    ids = {
        value
        for entry in diff.of("step", "changed")
        for change in entry.fields
        if change.field == "sub_journey"
        for value in (change.before, change.after)
        if value
    }
    if not ids:
        return {}
    return dict(Journey.objects.visible_to(user).filter(pk__in=ids).values_list("pk", "title"))


def _diff_end(raw, field) -> int | None:
    """A version id from the query string; None for `to=now`; ValueError naming the field otherwise."""
    raw = (raw or "").strip()
    if field == "to" and raw in ("", "now"):
        return None
    if parse_id(raw) is None:
        raise ValueError(
            f"“{field}” must be a version of this journey{' or “now”' if field == 'to' else ''}."
        )
    return parse_id(raw)


@login_required
@require_safe
def version_diff(request, pk):
    """What changed between two versions (`?from=<id>&to=<id|now>`), grouped by stage and lane, with the
    old and new text side by side."""
    journey = access.journey_for(request.user, pk, need=access.VIEW, queryset=JOURNEY_PAGE_QUERYSET)
    versions = list(versioning.version_list(journey=journey))  # for the pickers, without snapshots
    if not versions:
        messages.info(request, "Save a version first: then you can compare it with the map as it is now.")
        return redirect("journeys:versions", pk=journey.pk)
    try:
        source_id = _diff_end(request.GET.get("from") or str(versions[0].pk), "from")
        target_id = _diff_end(request.GET.get("to"), "to")
    except ValueError as exc:
        messages.error(request, f"Cannot compare: {exc}")
        return redirect("journeys:versions", pk=journey.pk)
    snapshots = dict(
        MapVersion.objects.filter(journey=journey, pk__in={source_id, target_id} - {None}).values_list(
            "pk", "snapshot"
        )
    )
    by_id = {v.pk: v for v in versions}
    if source_id not in snapshots or (target_id is not None and target_id not in snapshots):
        raise Http404("No such version of this journey.")
    after = snapshots[target_id] if target_id is not None else versioning.version_snapshot(journey)
    diff = versioning.version_diff(snapshots[source_id], after)
    context = {
        "journey": journey,
        "versions": versions,
        "source": by_id[source_id],
        "target": by_id.get(target_id),
        "counts": diff.counts(),
        "is_empty": diff.is_empty,
        "sections": diff_sections(diff, _sub_journey_titles(request.user, diff)),
        "can_edit": _can(journey, access.EDIT),
        "tab": "history",
    }
    return render(request, "journeys/version_diff.html", context)


# ---------------------------------------------------------------------------------------------- undo


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def trash_restore(request, pk, item_id):
    """Undo a deletion (editors). HTMX gets 204 with HX-Trigger `map-changed` (and `trash-restored`) so the
    editor refreshes; when it cannot go back, 409 with HX-Trigger `trash-restore-failed` and the reason."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    if not TrashedItem.objects.filter(pk=item_id, journey=journey).exists():
        raise Http404("No such deleted item in this journey.")
    fallback = reverse("journeys:map", args=[journey.pk])
    try:
        element = trash.trash_restore(item_id=item_id, by=request.user)
    except ValidationError as exc:
        reason = " ".join(exc.messages)
        if request.htmx:
            response = HttpResponse(reason, status=409, content_type="text/plain; charset=utf-8")
            response["HX-Trigger"] = json.dumps(
                {"trash-restore-failed": {"item": item_id, "message": reason}}
            )
            return response
        messages.error(request, reason)
        return redirect(_next_url(request, fallback))
    journey.refresh_from_db(fields=["revision"])
    kind = type(element).__name__.lower()
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = json.dumps(
            {
                "map-changed": {"journey": journey.pk, "revision": journey.revision},
                "trash-restored": {"item": item_id, "kind": kind, "id": element.pk},
            }
        )
        return response
    messages.success(request, f"The {kind} is back on the map.")
    return redirect(_next_url(request, fallback))


# ---------------------------------------------------------------------------------------------- comments


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def card_comments(request, pk, card_id):
    """The comment panel of a card (HTMX partial): GET shows the threads; POST `action` = add (with `body`
    and optional `thread`), resolve, reopen or delete (with `comment`) and answers the panel again."""
    journey = access.journey_for(request.user, pk, need=access.VIEW)
    card = Card.objects.select_related("lane", "step").filter(pk=card_id, journey=journey).first()
    if card is None:
        raise Http404("No such card in this journey.")
    error, draft, status, not_mentioned, draft_mentions = None, "", 200, [], []
    if request.method == "POST":
        action = request.POST.get("action", "add")
        try:
            if action == "add":
                draft = request.POST.get("body", "")
                comment = comments.comment_create(
                    card_id=card.pk,
                    by=request.user,
                    body=draft,
                    thread=request.POST.get("thread") or None,
                    mention_ids=request.POST.getlist("mentions"),
                )
                draft, not_mentioned = "", comment.not_mentioned
            elif action in ("resolve", "reopen", "delete"):
                comment_id = parse_id(request.POST.get("comment"))
                if not (comment_id and Comment.objects.filter(pk=comment_id, card=card).exists()):
                    raise ValidationError({"comment": "No such comment on this card."})
                service = {
                    "resolve": comments.comment_resolve,
                    "reopen": comments.comment_reopen,
                    "delete": comments.comment_delete,
                }[action]
                service(comment_id=comment_id, by=request.user)
            else:
                raise ValidationError({"action": "Unknown action."})
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 200 if request.htmx else 400
            # The draft keeps the people it picked, so taking one "@name" out is enough to post it.
            draft_mentions = [pk for pk in map(parse_id, request.POST.getlist("mentions")) if pk]
        else:
            if not request.htmx:
                return redirect("journeys:map", pk=journey.pk)
    threads = comments.card_threads(card=card)
    for thread in threads:
        thread.can_change = comments.may_change_thread(journey, thread, request.user)
        for comment in [thread, *thread.reply_list]:
            comment.can_delete = comments.may_delete(journey, comment, request.user)
    context = {
        "journey": journey,
        "card": card,
        "threads": threads,
        "open_count": sum(1 for t in threads if t.resolved_at is None),
        "error": error,
        "draft": draft,
        "not_mentioned": not_mentioned,
        "draft_mentions": draft_mentions if draft else [],
    }
    return render(request, "journeys/_comments.html", context, status=status)


@login_required
@require_safe
def journey_people(request, pk):
    """The people who can see the journey whose name or username matches `q`, for the comment box's
    @mention autocomplete (static/js/mentions.js): JSON `{"people": [{id, username, name}], "more": bool}`,
    at most comments.PEOPLE_LIMIT of them. Never anyone who cannot see the journey."""
    journey = access.journey_for(request.user, pk, need=access.VIEW)
    found = comments.mention_candidates(
        journey=journey, search=request.GET.get("q", ""), limit=comments.PEOPLE_LIMIT + 1
    )
    people = [{"id": u.pk, "username": u.username, "name": u.display_name} for u in found]
    return JsonResponse(
        {"people": people[: comments.PEOPLE_LIMIT], "more": len(people) > comments.PEOPLE_LIMIT},
        headers={"Cache-Control": "private, no-store"},
    )
