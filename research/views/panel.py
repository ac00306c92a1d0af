"""A card's evidence panel, opened from the map into its side panel (journeys' #side-panel-body) or as a
page of its own: the card's confidence and why, its linked evidence (quote, stance, study, date), search
the workspace's evidence and link an item in place, create an item and link it in one step, unlink.
People who see the journey read it; people with edit on the journey link and unlink; creating evidence
needs the research write right too (editor or admin of the workspace)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from core.errors import Conflict
from core.text import parse_id
from journeys import access as journey_access
from journeys.models import Card

from .. import access, selectors, services
from ..confidence import explain
from ..forms import EvidenceLinkCreateForm
from ..models import Stance
from ..overlays import decoration
from .common import mark_matches

RESULTS = 8  # search results shown in the panel


def _card_and_journey(user, card_id):
    """The card and its journey with `.access_level` and `.role`; 404 when the reader cannot see it. Two
    queries: the journey with the reader's access (found through the card), the card with lane and step."""
    if isinstance(card_id, str):
        card_id = parse_id(card_id)
    if card_id is None:
        raise Http404("No such card.")
    journey = journey_access.journey_for(
        user, Subquery(Card.objects.filter(pk=card_id).values("journey_id")[:1]), what="card"
    )
    card = Card.objects.select_related("lane", "step").filter(pk=card_id, journey_id=journey.pk).first()
    if card is None:
        raise Http404("No such card.")
    return journey, card


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def card_evidence(request, card_id):
    """GET: the panel (`q` searches the workspace's evidence to link). POST `action`: link (`evidence`,
    `stance`), create (the evidence fields and `stance`: made and linked in one transaction), unlink
    (`link`, `expected_version`). The answer is the panel again (HTMX) or a redirect to it."""
    journey, card = _card_and_journey(request.user, card_id)
    can_link = journey_access.rank(journey.access_level) >= journey_access.rank(journey_access.EDIT)
    can_create = can_link and access.can_write(journey.role)
    if request.method == "POST" and not can_link:
        raise PermissionDenied("You need edit access to this journey to link evidence.")
    studies = list(selectors.study_choices(workspace_id=journey.workspace_id)) if can_create else []
    form = EvidenceLinkCreateForm(studies=studies, initial={"stance": Stance.SUPPORTS})
    error, status, done = None, 200, None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "link":
                evidence_id = parse_id(request.POST.get("evidence"))
                if evidence_id is None:
                    raise ValidationError({"evidence": "Pick an evidence item to link."})
                services.link_create(
                    evidence_id=evidence_id,
                    by=request.user,
                    card=card.pk,
                    stance=request.POST.get("stance", Stance.SUPPORTS),
                )
                done = "Evidence linked."
            elif action == "unlink":
                link_id = parse_id(request.POST.get("link"))
                if not link_id or not card.evidence_links.filter(pk=link_id).exists():
                    raise ValidationError({"link": "No such link on this card."})
                services.link_delete(
                    link_id=link_id,
                    by=request.user,
                    expected_version=request.POST.get("expected_version") or None,
                )
                done = "Evidence unlinked."
            elif action == "create":
                if not can_create:
                    raise PermissionDenied(access.WRITE_MESSAGE)
                form = EvidenceLinkCreateForm(request.POST, studies=studies)
                if not form.is_valid():
                    raise ValidationError("Check the new evidence: " + _first_errors(form))
                with transaction.atomic():
                    fields = form.evidence_fields()
                    evidence = services.evidence_create(
                        workspace_id=journey.workspace_id, by=request.user, **fields
                    )
                    services.link_create(
                        evidence_id=evidence.pk,
                        by=request.user,
                        card=card.pk,
                        stance=form.cleaned_data["stance"],
                    )
                form = EvidenceLinkCreateForm(studies=studies, initial={"stance": Stance.SUPPORTS})
                done = "Evidence created and linked."
            else:
                raise ValidationError({"action": "Unknown action."})
        except ValidationError as exc:
            if action == "create" and hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    if name in form.fields:
                        form.add_error(name, errors)
            error = " ".join(exc.messages)
            status = 200 if request.htmx else 400
        except Conflict:
            error = "This link was changed by someone else meanwhile: the panel shows it as it is now."
            status = 200 if request.htmx else 409
        else:
            if not request.htmx:
                return redirect("research:card_evidence", card_id=card.pk)
    q = (request.GET.get("q") or "").strip()[:500]
    why = explain(card)
    linked_ids = {link.evidence_id for link in why.links}
    results = []
    if q and can_link:
        found = selectors.evidence_search(user=request.user, workspace_id=journey.workspace_id, q=q)
        results = mark_matches(found.prefetch_related(None).exclude(pk__in=linked_ids)[:RESULTS], q)
    context = {
        "journey": journey,
        "card": card,
        "why": why,
        "look": decoration(why.level),
        "q": q,
        "results": results,
        "can_link": can_link,
        "can_create": can_create,
        "form": form,
        "error": error,
        "done": done,
        "stances": Stance.choices,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "research/_card_panel.html" if partial else "research/card_panel_page.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _first_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return "; ".join(parts)
