"""The evidence library's count stops at a cap on common searches (research/views/common.py)."""

from django.urls import reverse

from .test_pages import _bulk


def test_a_common_search_counts_up_to_the_cap_and_says_there_are_more(
    client, viewer, workspace, admin, monkeypatch
):
    from research.views import common

    monkeypatch.setattr(common, "COUNT_CAP", 30)
    _bulk(workspace, admin, 31, prefix="Invoice question")
    client.force_login(viewer)
    page = client.get(reverse("research:evidence"), {"q": "invoice"}).content.decode()
    assert "30+ items" in page and "Page 1 of 2" in page
    page = client.get(reverse("research:evidence"), {"q": "invoice", "page": "2"}).content.decode()
    assert "26–30 shown" in page  # the last page the cap reaches
    monkeypatch.setattr(common, "COUNT_CAP", 31)
    assert "31 items" in client.get(reverse("research:evidence"), {"q": "invoice"}).content.decode()
