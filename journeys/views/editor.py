"""The living map editor: the endpoints behind the edit affordances of journeys:map.

Thin: check access (journeys.access), parse (journeys/forms/editor.py), call a service, render what changed.
Structural writes answer with the whole grid (templates/journeys/_map_grid.html, swapped over #map-grid);
editing a card answers with the card (and, in an emotion lane, the lane's curve out of band). Statuses the
editor's script (static/js/editor.js) configures htmx to swap: 422 for bad input (the form again, with the
field's error; nothing written) and 409 for a stale version (what the other person changed next to what
this person typed, with a one-click reapply). Every response carries the journey's revision in an
`editor:saved` client event, so the live client (static/js/live.js) does not fetch what is already shown.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from .. import access, selectors, services
from ..forms.editor import (
    CardForm,
    DeleteForm,
    LaneForm,
    MoveForm,
    NewCardForm,
    NewElementForm,
    StageForm,
    StepForm,
    first_error,
)
from ..models import (
    Activity,
    Card,
    Journey,
    Lane,
    LaneKind,
    Stage,
    StandardStage,
    Step,
)
from ..services import trash
from ..services.changes import journey_id_of
from . import grid as map_grid

NEW_TITLES = {"stage": "New stage", "step": "New step", "lane": "New lane"}
TRASH_LIMIT = 20
CELLS_LIMIT = 20  # cells one live update may ask for (a card move names two)


# ---------------------------------------------------------------------------------------------- context


def _editable(user, model, pk) -> Journey:
    """The journey of a stage/step/lane/card the user may edit (404 to outsiders, 403 to viewers)."""
    return access.journey_for(user, journey_id_of(model, pk), need=access.EDIT)


def _saved(response, journey: Journey, *, focus: str | None = None):
    """Tell the page which revision it now shows, and what to focus once the swap settled."""
    trigger_client_event(response, "editor:saved", {"revision": journey.revision}, after="settle")
    if focus:
        trigger_client_event(response, "editor:focus", {"key": focus}, after="settle")
    return response


def _notice(response, text: str, tone: str = "error"):
    return trigger_client_event(response, "editor:notice", {"text": text, "tone": tone})


def _grid(request, journey: Journey, *, status=200, rename=None, focus: str | None = None):
    """The whole grid as it is now (after a write: the journey's revision is read again). `rename`: a
    (kind, element) just added, whose header opens its title for typing."""
    journey.refresh_from_db(fields=["revision"])
    _visible, grid = map_grid.map_grid_data(request, journey)
    if rename is not None:
        kind, obj = rename
        form_class = ELEMENTS[kind][1]
        grid["rename"] = {
            "kind": kind,
            "id": obj.pk,
            **_element_form_context(kind, obj, _blank_form(form_class, obj)),
        }
    response = render(request, "journeys/_map_grid.html", {**grid, "headline_oob": True}, status=status)
    return _saved(response, journey, focus=focus)


def _refused(request, journey, form_or_text, *, status=422):
    """Bad input on a move or delete: nothing changed, nothing to swap; say what was wrong."""
    text = form_or_text if isinstance(form_or_text, str) else first_error(form_or_text)
    response = render(request, "journeys/editor/_notice.html", {"text": text}, status=status)
    return _notice(reswap(response, "none"), text)


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        name, errors = next(iter(exc.error_dict.items()))
        label = "" if name == "__all__" else f"{name.replace('_', ' ').capitalize()}: "
        return f"{label}{errors[0].messages[0]}"
    return exc.messages[0]


def _add_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _changed_by(journey: Journey, target_type: str, target_id: int):
    """Who last changed an element of the map, from the activity feed (one query); None when unknown."""
    activity = (
        Activity.objects.filter(journey=journey, target_type=target_type, target_id=target_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    return activity.actor if activity is not None else None


def _deleted_by(journey: Journey, kind: str, pk: int):
    """Who deleted an element (its not yet restored trash item), or None."""
    plural = {"stage": "stages", "step": "steps", "lane": "lanes", "card": "cards"}[kind]
    item = (
        journey.trash.filter(restored_at__isnull=True, payload__contains={plural: [{"id": pk}]})
        .select_related("deleted_by")
        .defer("payload")
        .order_by("-deleted_at")
        .first()
    )
    return item.deleted_by if item is not None else None


def _restore_url(item) -> str:
    """Undo goes through journeys:trash_restore (journeys/views/versions.py): 204 + `map-changed`, or 409."""
    return reverse("journeys:trash_restore", args=[item.journey_id, item.pk])


def _deleted(request, journey, item, label: str):
    """The grid after a deletion, and the toast that offers to undo it and says what went with the element
    ("Lane “Pain points” deleted with 8 cards"), counted from what the trash keeps to put back."""
    response = _grid(request, journey)
    payload = item.payload
    return trigger_client_event(
        response,
        "editor:deleted",
        {
            "id": item.pk,
            "kind": item.kind,
            "label": label,
            "title": item.title,
            "url": _restore_url(item),
            "steps": len(payload.get("steps", [])) if item.kind == "stage" else 0,
            "cards": len(payload.get("cards", [])) if item.kind != "card" else 0,
            "comments": len(payload.get("comments", [])),
        },
        after="swap",  # in the task that removes the element: Ctrl+Z right after finds it
    )


# ------------------------------------------------------------------------------------- stages, steps, lanes

ELEMENTS = {
    "stage": (Stage, StageForm, services.stage_update, services.stage_move, services.stage_delete),
    "step": (Step, StepForm, services.step_update, services.step_move, services.step_delete),
    "lane": (Lane, LaneForm, services.lane_update, services.lane_move, services.lane_delete),
}


def _blank_form(form_class, obj):
    initial = {name: getattr(obj, name) for name in form_class.editable}
    return form_class(initial={**initial, "expected_version": obj.version})


# ---------------------------------------------------------------------------------------------- merging
# Edit forms carry the values they were loaded with (base_<field>, templates/journeys/editor/). A save that
# meets a newer version merges per field (EditorForm.merge): what only this person changed goes over the
# newer version at once; only a field both changed comes back as a 409 with both versions.


def _text(value) -> str:
    return "" if value is None else str(value)


def _base(form_class, obj, data=None) -> dict:
    """The base_* values an edit form carries: those it was posted with, else the element's own."""
    data = data or {}
    return {name: data.get(f"base_{name}", _text(getattr(obj, name))) for name in form_class.editable}


def _filled(form_class, data, obj) -> dict:
    """Posted data with every editable field the request did not send taken from the element, so a form shown
    after a refused partial save (the score picker sends only the score) shows the element whole."""
    filled = {name: _text(getattr(obj, name)) for name in form_class.editable}
    filled.update(data.dict() if hasattr(data, "dict") else data)
    return filled


def _save_merged(update, form, id_kwargs: dict, by):
    """Save a form's changes, merging per field over any newer version saved meanwhile.

    Returns (saved element, None, []) when saved; (None, current, clashes) when a field both people changed
    needs a decision; (None, None, []) when the element was deleted meanwhile."""
    changes = form.changes()
    expected = form.cleaned_data["expected_version"]
    current, clashes = None, []
    for _attempt in range(3):  # someone may save again between our reads: merge again
        try:
            return update(**id_kwargs, by=by, expected_version=expected, **changes), None, []
        except services.Conflict as exc:
            current = exc.current
            if current is None:
                return None, None, []
            changes, clashes = form.merge(current)
            if clashes:
                return None, current, clashes
            if not changes:
                return current, None, []  # nothing of this person's is left to apply
            expected = current.version
    return None, current, clashes or list(changes)


def _conflict_data(form, current, clashes) -> dict:
    """What a conflict form shows: this person's value where they changed a field, the current one elsewhere,
    with the current version as its base, so "use mine" changes only what this person changed."""
    changes, _clashes = form.merge(current)
    data = {"expected_version": str(current.version)}
    for name in form.editable:
        theirs = _text(getattr(current, name))
        data[name] = _text(changes[name]) if name in changes else theirs
        data[f"base_{name}"] = theirs
    return data


def _element_form_context(kind, obj, form, *, conflict=None, changed_by=None, base=None, clashes=()) -> dict:
    return {
        "kind": kind,
        "obj": obj,
        "form": form,
        "conflict": conflict,
        "changed_by": changed_by,
        "base": base if base is not None else _base(ELEMENTS[kind][1], obj),
        "clashes": list(clashes),
        "clash_words": ELEMENTS[kind][1].words(clashes) if clashes else "",
        "lane_kinds": LaneKind.choices,
        "standard_stages": StandardStage.choices,
        "action": reverse(f"journeys:editor_{kind}", args=[obj.pk]),
    }


def _element_form_response(
    request, kind, obj, form, *, status=200, conflict=None, changed_by=None, base=None, clashes=()
):
    context = _element_form_context(
        kind, obj, form, conflict=conflict, changed_by=changed_by, base=base, clashes=clashes
    )
    response = render(request, "journeys/editor/_element_form.html", context, status=status)
    if status != 200:
        # The form stays where it is (a popover in its header), showing the error or the conflict.
        response = reswap(retarget(response, f"#{kind}-form-{obj.pk}"), "outerHTML")
    return response


def _element_view(kind):
    model, form_class, update, _move, _delete = ELEMENTS[kind]

    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request, element_id):
        journey = _editable(request.user, model, element_id)
        obj = model.objects.get(pk=element_id)
        if request.method == "GET":
            return _element_form_response(request, kind, obj, _blank_form(form_class, obj))
        # A header menu's one-click change (e.g. a lane's kind) has no form to show errors in: it gets the
        # grid and a notice instead.
        from_menu = request.htmx.target == "map-grid"
        form = form_class(request.POST)
        if not form.is_valid():
            if from_menu:
                return _refused(request, journey, form)
            form = form_class(_filled(form_class, request.POST, obj))
            form.is_valid()
            return _element_form_response(
                request, kind, obj, form, status=422, base=_base(form_class, obj, request.POST)
            )
        try:
            saved, current, clashes = _save_merged(update, form, {f"{kind}_id": obj.pk}, request.user)
        except ValidationError as exc:
            if from_menu:
                return _refused(request, journey, _error_text(exc))
            _add_errors(form, exc)
            return _element_form_response(
                request, kind, obj, form, status=422, base=_base(form_class, obj, request.POST)
            )
        if saved is None:
            if from_menu:
                what = "deleted" if current is None else "changed"
                response = _grid(request, journey, status=409)
                return _notice(
                    response, f"Someone {what} this {kind} meanwhile: the map is up to date again."
                )
            if current is None:
                form = form_class(request.POST)
                form.is_valid()
                return _element_form_response(
                    request, kind, obj, form, status=409, conflict="deleted",
                    changed_by=_deleted_by(journey, kind, obj.pk),
                )  # fmt: skip
            data = _conflict_data(form, current, clashes)
            form = form_class(data)
            form.is_valid()
            return _element_form_response(
                request,
                kind,
                current,
                form,
                status=409,
                conflict=current,
                changed_by=_changed_by(journey, kind, obj.pk),
                base=_base(form_class, current),
                clashes=clashes,
            )
        return _grid(request, journey, focus=f"{kind}:{obj.pk}")

    view.__name__ = f"{kind}_edit"
    view.__doc__ = (
        f"GET: the {kind}'s edit form (a popover in its header); POST: save it, answer with the grid."
    )
    return view


def _move_view(kind):
    model, _form, _update, move, _delete = ELEMENTS[kind]

    @login_required
    @require_POST
    def view(request, element_id):
        journey = _editable(request.user, model, element_id)
        form = MoveForm(request.POST)
        if not form.is_valid():
            return _refused(request, journey, form)
        data = form.cleaned_data
        extra = {"to_stage": data["to_stage"]} if kind == "step" and data["to_stage"] else {}
        try:
            move(
                **{f"{kind}_id": element_id},
                by=request.user,
                position=data["position"],
                expected_version=data["expected_version"],
                **extra,
            )
        except services.Conflict as exc:
            response = _grid(request, journey, status=409)
            what = "deleted" if exc.current is None else "changed"
            return _notice(
                response, f"Someone {what} this {kind} meanwhile: the map is up to date again, try once more."
            )
        except ValidationError as exc:
            return _refused(request, journey, _error_text(exc))
        return _grid(request, journey, focus=f"{kind}:{element_id}")

    view.__name__ = f"{kind}_move"
    view.__doc__ = f"Move a {kind} (drag and drop or Alt+arrow keys); answer with the grid."
    return view


def _delete_view(kind):
    model, _form, _update, _move, delete = ELEMENTS[kind]

    @login_required
    @require_POST
    def view(request, element_id):
        journey = _editable(request.user, model, element_id)
        form = DeleteForm(request.POST)
        if not form.is_valid():
            return _refused(request, journey, form)
        try:
            item = delete(
                **{f"{kind}_id": element_id},
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        except services.Conflict as exc:
            response = _grid(request, journey, status=409)
            if exc.current is None:
                return _notice(response, f"This {kind} was already deleted.", "info")
            return _notice(
                response, f"Someone changed this {kind} meanwhile: check it, then delete it again."
            )
        return _deleted(request, journey, item, kind.capitalize())

    view.__name__ = f"{kind}_delete"
    view.__doc__ = f"Delete a {kind} (undo from the toast or Recently deleted); answer with the grid."
    return view


stage_edit, stage_move, stage_delete = _element_view("stage"), _move_view("stage"), _delete_view("stage")
step_edit, step_move, step_delete = _element_view("step"), _move_view("step"), _delete_view("step")
lane_edit, lane_move, lane_delete = _element_view("lane"), _move_view("lane"), _delete_view("lane")


@login_required
@require_POST
def stage_add(request, pk):
    """Add a stage (at `position`, else at the end) and open its title for typing."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    form = NewElementForm(request.POST)
    if not form.is_valid():
        return _refused(request, journey, form)
    try:
        stage = services.stage_create(
            journey_id=journey.pk,
            by=request.user,
            title=form.cleaned_data["title"] or NEW_TITLES["stage"],
            position=form.cleaned_data["position"],
        )
    except ValidationError as exc:
        return _refused(request, journey, _error_text(exc))
    return _grid(request, journey, rename=("stage", stage))


@login_required
@require_POST
def step_add(request, stage_id):
    """Add a step to a stage (at `position`, else at its end) and open its title for typing."""
    journey = _editable(request.user, Stage, stage_id)
    form = NewElementForm(request.POST)
    if not form.is_valid():
        return _refused(request, journey, form)
    try:
        step = services.step_create(
            stage_id=stage_id,
            by=request.user,
            title=form.cleaned_data["title"] or NEW_TITLES["step"],
            position=form.cleaned_data["position"],
        )
    except ValidationError as exc:
        return _refused(request, journey, _error_text(exc))
    return _grid(request, journey, rename=("step", step))


@login_required
@require_POST
def lane_add(request, pk):
    """Add a lane of a kind (at `position`, else at the bottom) and open its title and kind for typing."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    form = NewElementForm(request.POST)
    if not form.is_valid():
        return _refused(request, journey, form)
    try:
        lane = services.lane_create(
            journey_id=journey.pk,
            by=request.user,
            title=form.cleaned_data["title"] or NEW_TITLES["lane"],
            kind=form.cleaned_data["kind"] or LaneKind.TEXT,
            position=form.cleaned_data["position"],
        )
    except ValidationError as exc:
        return _refused(request, journey, _error_text(exc))
    return _grid(request, journey, rename=("lane", lane))


# ---------------------------------------------------------------------------------------------- cards


def _card_context(journey, card, lane, **extra) -> dict:
    return {"journey": journey, "card": card, "lane": lane, **map_grid.editing_context(journey), **extra}


def _fragment(template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """A fragment of the map rendered without the page's context processors (which query the workspace
    menu the fragment does not show): answers to card edits stay a few statements whatever the map."""
    return HttpResponse(get_template(template).render(context), status=status)


def _cells_fragment(request, journey: Journey, cells) -> HttpResponse:
    """Cells (lane id, step id) as they are now and their emotion lanes' curves, to swap out of band
    (templates/journeys/editor/_cells.html); the rest of the grid stays. In an overlay view (the page's
    X-Map-View header) the cards keep their decorations."""
    items, curves = map_grid.cell_fragments(journey, cells)
    card_ids = [card.pk for item in items for card in item["cell"]["cards"]]
    context = {
        **map_grid.cards_overlay_context(request, journey, card_ids),
        "journey": journey,
        "cells": items,
        "curves": curves,
        "oob": True,
        **map_grid.editing_context(journey),
    }
    return _fragment("journeys/editor/_cells.html", context)


def _cells(request, journey: Journey, cells, *, focus: str | None = None):
    """The answer to a card added, moved or deleted: the cells it changed, out of band (the request's own
    target, the grid, is not swapped)."""
    return _saved(reswap(_cells_fragment(request, journey, cells), "none"), journey, focus=focus)


def _card_response(request, journey, card, *, status=200):
    """One card (read mode, with its editing affordances), plus its lane's curve out of band."""
    lane = card.lane
    curve_row = {"curve": map_grid.lane_curve(journey, lane)} if lane.kind == LaneKind.EMOTIONS else None
    overlay = map_grid.cards_overlay_context(request, journey, [card.pk])
    context = _card_context(journey, card, lane, curve_row=curve_row, **overlay)
    return _fragment("journeys/editor/_card_saved.html", context, status=status)


def _card_form(
    request,
    journey,
    card,
    lane,
    form,
    *,
    status=200,
    conflict=None,
    changed_by=None,
    new=False,
    form_id=None,
    base=None,
    clashes=(),
):
    form_id = form_id or ("card-new-form" if new else f"card-{card.pk}")
    context = _card_context(
        journey,
        card,
        lane,
        form=form,
        conflict=conflict,
        changed_by=changed_by,
        new=new,
        form_id=form_id,
        # the values the form was loaded with (base_*), for a per-field merge if someone saves meanwhile
        base=base if base is not None or new else _base(CardForm, card),
        clash_words=CardForm.words(clashes) if clashes else "",
    )
    response = render(request, "journeys/editor/_card_form.html", context, status=status)
    if status != 200:
        response = reswap(retarget(response, f"#{form_id}"), "outerHTML")
    return response


def _card_gone(request, card_id):
    """Saving a card someone deleted meanwhile: show who deleted it, keep the text, offer to add it back in
    its cell. 404 unless the card is in the trash of a journey the user may edit."""
    item = (
        trash.TrashedItem.objects.filter(
            restored_at__isnull=True, payload__contains={"cards": [{"id": card_id}]}
        )
        .select_related("deleted_by")
        .order_by("-deleted_at")
        .first()
    )
    if item is None:
        raise Http404("No such card.")
    journey = access.journey_for(request.user, item.journey_id, need=access.EDIT)
    row = next(row for row in item.payload["cards"] if row["id"] == card_id)
    lane = Lane.objects.filter(pk=row["lane_id"], journey=journey).first()
    if lane is None:  # its lane went too: nowhere to put it back
        raise Http404("No such card.")
    card = Card(pk=card_id, journey=journey, lane=lane, step_id=row["step_id"], text="")
    form = NewCardForm({**request.POST.dict(), "lane": lane.pk, "step": row["step_id"]})
    form.is_valid()
    return _card_form(
        request,
        journey,
        card,
        lane,
        form,
        status=409,
        conflict="deleted",
        changed_by=item.deleted_by,
        new=True,
        form_id=f"card-{card_id}",
    )


def _with_comment_counts(card: Card) -> Card:
    if hasattr(card, "comment_count"):  # read with the card (services.card_update)
        return card
    counts = selectors.comment_counts(card_ids=[card.pk]).get(card.pk, (0, 0))
    card.comment_count, card.open_comment_count = counts
    return card


@login_required
@require_GET
def card_view(request, card_id):
    """One card as the map shows it to this person (Esc on an edit form whose original is not at hand, "keep
    theirs", a comment count that changed)."""
    journey = access.journey_for(request.user, journey_id_of(Card, card_id), need=access.VIEW)
    card = _with_comment_counts(Card.objects.select_related("lane").get(pk=card_id))
    overlay = map_grid.cards_overlay_context(request, journey, [card.pk])
    return render(request, "journeys/_card.html", _card_context(journey, card, card.lane, **overlay))


@login_required
@require_http_methods(["GET", "POST"])
def card_edit(request, card_id):
    """GET: the card as an inline form. POST: save the fields sent (text, note, score, channel): the
    service checks access once, under the journey's lock; the answer is the card."""
    if request.method == "GET":
        journey = _editable(request.user, Card, card_id)
        card = Card.objects.select_related("lane").get(pk=card_id)
        initial = {name: getattr(card, name) for name in CardForm.editable}
        form = CardForm(initial={**initial, "expected_version": card.version})
        return _card_form(request, journey, card, card.lane, form)
    form = CardForm(request.POST)
    refused = None
    if form.is_valid():
        try:
            # Over a version someone saved meanwhile, per field: only a field both changed needs a decision.
            card, current, clashes = _save_merged(
                services.card_update, form, {"card_id": card_id}, request.user
            )
        except Http404:
            return _card_gone(request, card_id)
        except ValidationError as exc:
            refused = exc
        else:
            if card is not None:
                journey = card.journey  # locked, checked and with its new revision (services.card_update)
                return _saved(
                    _card_response(request, journey, _with_comment_counts(card)),
                    journey,
                    focus=f"card:{card.pk}",
                )
            journey = _editable(request.user, Card, card_id)
            card = Card.objects.select_related("lane").get(pk=card_id)
            if current is None:
                return _card_form(
                    request,
                    journey,
                    card,
                    card.lane,
                    CardForm(_filled(CardForm, request.POST, card)),
                    status=409,
                    conflict="deleted",
                    changed_by=_deleted_by(journey, "card", card.pk),
                )
            form = CardForm(_conflict_data(form, current, clashes))
            form.is_valid()
            return _card_form(
                request,
                journey,
                current,
                card.lane,
                form,
                status=409,
                conflict=current,
                changed_by=_changed_by(journey, "card", card.pk),
                base=_base(CardForm, current),
                clashes=clashes,
            )
    if not Card.objects.filter(pk=card_id).exists():
        return _card_gone(request, card_id)
    journey = _editable(request.user, Card, card_id)
    card = Card.objects.select_related("lane").get(pk=card_id)
    # The whole card comes back as a form with the error, also after the score picker, which sends only the
    # score: the other fields are the card's own, never an empty text box.
    form = CardForm(_filled(CardForm, request.POST, card))
    form.is_valid()
    if refused is not None:
        _add_errors(form, refused)
    return _card_form(
        request, journey, card, card.lane, form, status=422, base=_base(CardForm, card, request.POST)
    )


@login_required
@require_GET
def card_new(request, pk):
    """The inline form for a new card in a lane × step cell (`?lane=&step=`)."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    form = NewCardForm(request.GET)
    form.is_valid()
    lane = Lane.objects.filter(pk=form.cleaned_data.get("lane") or 0, journey=journey).first()
    step = Step.objects.filter(pk=form.cleaned_data.get("step") or 0, journey=journey).first()
    if lane is None or step is None:
        raise Http404("No such cell on this map.")
    card = Card(lane=lane, step=step, journey=journey, text="")
    return _card_form(request, journey, card, lane, NewCardForm(), new=True)


@login_required
@require_POST
def card_add(request, pk):
    """Add a card to a lane × step cell; answer with that cell, the new card focused."""
    form = NewCardForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            card = services.card_create(
                journey_id=pk,
                lane_id=data["lane"],
                step_id=data["step"],
                by=request.user,
                text=data["text"],
                position=data["position"],
                **form.card_fields(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _cells(request, card.journey, [(card.lane_id, card.step_id)], focus=f"card:{card.pk}")
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    lane = Lane.objects.filter(pk=form.cleaned_data.get("lane") or 0, journey=journey).first()
    if lane is None:
        return _refused(
            request, journey, first_error(form) or "Lane: that lane is not on this map (any more)."
        )
    card = Card(lane=lane, step_id=form.cleaned_data.get("step"), journey=journey, text="")
    return _card_form(request, journey, card, lane, form, status=422, new=True)


@login_required
@require_POST
def card_move(request, card_id):
    """Move a card within its cell or to another cell (drag and drop, Alt+arrows); answer with the cell it
    left and the cell it went to."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, _editable(request.user, Card, card_id), form)
    data = form.cleaned_data
    try:
        card = services.card_move(
            card_id=card_id,
            by=request.user,
            position=data["position"],
            to_lane=data["to_lane"],
            to_step=data["to_step"],
            expected_version=data["expected_version"],
        )
    except services.Conflict as exc:
        journey = _editable(request.user, Card, card_id)
        what = "deleted" if exc.current is None else "changed"
        return _notice(
            _grid(request, journey, status=409),
            f"Someone {what} this card meanwhile: the map is up to date again, try once more.",
        )
    except ValidationError as exc:
        return _refused(request, _editable(request.user, Card, card_id), _error_text(exc))
    cells = {card.moved_from, (card.lane_id, card.step_id)}
    return _cells(request, card.journey, cells, focus=f"card:{card_id}")


@login_required
@require_POST
def card_delete(request, card_id):
    """Delete a card; answer with its cell and an undo toast."""
    form = DeleteForm(request.POST)
    if not form.is_valid():
        return _refused(request, _editable(request.user, Card, card_id), form)
    try:
        item = services.card_delete(
            card_id=card_id, by=request.user, expected_version=form.cleaned_data["expected_version"]
        )
    except services.Conflict as exc:
        journey = _editable(request.user, Card, card_id)
        response = _grid(request, journey, status=409)
        if exc.current is None:
            return _notice(response, "This card was already deleted.", "info")
        return _notice(response, "Someone changed this card meanwhile: check it, then delete it again.")
    journey = item.journey
    row = next(row for row in item.payload["cards"] if row["id"] == card_id)
    response = _cells(request, journey, [(row["lane_id"], row["step_id"])])
    return trigger_client_event(
        response,
        "editor:deleted",
        {"id": item.pk, "kind": item.kind, "label": "Card", "title": item.title, "url": _restore_url(item)},
        after="swap",  # in the task that removes the element: Ctrl+Z right after finds it
    )


@login_required
@require_GET
def cells(request, pk):
    """Some cells of the map (`?cells=<lane id>-<step id>,…`) and their emotion lanes' curves, swapped out
    of band: what live updates (static/js/live.js) fetch after someone else's card edit, instead of the
    whole grid. Unknown or malformed cells are left out."""
    journey = access.journey_for(request.user, pk, need=access.VIEW)
    wanted = []
    for part in request.GET.get("cells", "").split(",")[:CELLS_LIMIT]:
        lane_id, _, step_id = part.partition("-")
        if lane_id.isdigit() and step_id.isdigit():
            wanted.append((int(lane_id), int(step_id)))
    return _cells_fragment(request, journey, wanted)


# ------------------------------------------------------------------------------------------ undo, activity


@login_required
@require_GET
def trash_list(request, pk):
    """The map's recently deleted elements (the toolbar's popover), newest first, each to put back."""
    journey = access.journey_for(request.user, pk, need=access.EDIT)
    items = list(trash.trash_list(journey=journey, limit=TRASH_LIMIT))
    for item in items:
        item.restore_url = _restore_url(item)
    context = {"journey": journey, "items": items, "trash_days": settings.TRASH_RETENTION_DAYS}
    return render(request, "journeys/editor/_trash.html", context)


@login_required
@require_GET
def activity(request, pk):
    """The journey's activity feed (the Activity menu reloads it when opened)."""
    journey = access.journey_for(request.user, pk, need=access.VIEW)
    items = list(selectors.journey_activity(journey=journey, limit=30))
    return render(request, "journeys/_activity_list.html", {"activity": items})
