"""What the research pages share: the page of a list, highlighted search matches, conflict wording."""

from django.core.paginator import Paginator
from django.utils.html import escape
from django.utils.safestring import mark_safe

from accounts.views import follow_workspace

from ..selectors import MARK_START, MARK_STOP

PAGE_SIZE = 25  # evidence items or studies a page


COUNT_CAP = 1_000  # matches counted exactly; past it a list says "1,000+" (refine, or export them all)


class CappedPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP rows (`capped` is True when there are more): counting
    every match of a common word in a large library costs more than showing the page (PostgreSQL must
    find them all; `LIMIT cap + 1` lets it stop early). Pages reach as far as the cap; the CSV export
    still gives every match."""

    capped = False

    @property
    def count(self):
        if not hasattr(self, "_capped_count"):
            # Only the ids: no ranks or headlines computed for rows that are only counted.
            found = self.object_list.values("pk").order_by()[: COUNT_CAP + 1].count()
            self.capped = found > COUNT_CAP
            self._capped_count = min(found, COUNT_CAP)
        return self._capped_count


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The page of `queryset` that `?page=` asks for (the last when beyond it): two queries, a count (up
    to COUNT_CAP, see CappedPaginator) and the rows, whatever the size of the list."""
    return CappedPaginator(queryset, per_page).get_page(request.GET.get("page"))


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
