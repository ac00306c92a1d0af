"""Help: the confidence rule, rendered from research/confidence.py's constants (never copied numbers)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.selectors import current_workspace

from .. import confidence
from ..confidence import Level, level_for
from ..overlays import decoration


@login_required
@require_safe
def confidence_help(request):
    """How a card's confidence level is computed: what counts, the tiers of a side, the level, roll-ups."""
    workspace = current_workspace(request)
    months = (
        confidence.recency_months_of(workspace_id=workspace.pk)
        if workspace is not None
        else confidence.DEFAULT_RECENCY_MONTHS
    )
    tiers = range(4)
    # The level for every pair of tiers, from the rule's own function: the table cannot drift from it.
    table = [(s, [decoration(level_for(s, c)) for c in tiers]) for s in tiers]
    context = {
        "c": confidence,
        "months": months,
        "default_months": confidence.DEFAULT_RECENCY_MONTHS,
        "levels": [decoration(level) for level in Level.values],
        "tiers": tiers,
        "table": table,
        "validated": [Level(level).label for level in (Level.MODERATE, Level.STRONG)],
        "workspace": workspace,
    }
    return render(request, "research/help_confidence.html", context)
