"""What the research pages share: the page of a list, highlighted search matches, conflict wording."""

from django.core.paginator import Paginator
from django.utils.html import escape
from django.utils.safestring import mark_safe

from accounts.views import follow_workspace

from ..selectors import MARK_START, MARK_STOP

PAGE_SIZE = 25  # evidence items or studies a page


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The page of `queryset` that `?page=` asks for (the last when beyond it): two queries, a count and
    the rows, whatever the size of the list."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def page_query(request) -> str:
    """The request's query string without `page`, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def highlighted(headline: str | None):
    """A search headline (selectors.evidence_search: stored text with MARK_START/MARK_STOP around matches)
    as safe HTML: the text escaped, then each match in <mark>."""
    if headline is None:
        return None
    html = escape(headline).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped above; only our marks become tags


def mark_matches(items, q: str) -> list:
    """The page's items, each with `.snippet`: its highlighted headline when searching, else None."""
    items = list(items)
    for item in items:
        item.snippet = highlighted(getattr(item, "headline", None)) if q else None
    return items


def follow(request, obj) -> None:
    """Opening a study or evidence item of another of the person's workspaces makes it the current one."""
    follow_workspace(request, obj.workspace_id, obj.role)
