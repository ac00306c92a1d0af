"""A workspace's shift-detection settings (k, n, the history the deviation rule needs, the relative
threshold): members read them, admins change them with expected_version (409 on a stale one, with the
settings as they are now), through the API and the settings page; later scans use them."""

from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from metrics import shifts
from metrics.models import MetricsSettings


def _api(user):
    client = APIClient()
    client.default_format = "json"
    client.force_login(user)
    return client


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_members_read_the_defaults_and_admins_change_them(workspace, admin, viewer):
    url = reverse("metrics-api:metrics-settings", args=[workspace.pk])
    body = _api(viewer).get(url).json()
    assert body == {
        "workspace": workspace.pk, "shift_sigmas": 3.0, "shift_window": 8, "shift_min_history": 4,
        "shift_relative": 25, "version": 1, "updated_at": None, "updated_by": None,
    }  # fmt: skip
    api = _api(admin)
    response = api.patch(url, {"shift_sigmas": "2.5", "shift_relative": 40, "expected_version": 1})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["shift_sigmas"], body["shift_window"], body["shift_relative"], body["version"]) == (
        2.5,
        8,
        40,
        2,
    )
    assert body["updated_by"] == admin.pk and body["updated_at"]
    # The scans use them.
    assert shifts.params_for([workspace.pk])[workspace.pk] == shifts.Params(Decimal("2.5"), 8, 4, 40)
    # A stale version: 409 with the settings as they are now, nothing changed.
    stale = api.patch(url, {"shift_window": 12, "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    assert MetricsSettings.objects.get(workspace=workspace).shift_window == 8


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"shift_window": 1}, {"shift_window": ["Ensure this value is greater than or equal to 2."]}),
        ({"shift_sigmas": "0.1"}, {"shift_sigmas": ["Ensure this value is greater than or equal to 0.5."]}),
        ({"shift_relative": 2000}, {"shift_relative": ["Ensure this value is less than or equal to 1000."]}),
        (
            {"shift_window": 4, "shift_min_history": 6},
            {
                "shift_min_history": [
                    "At most n, the number of trailing periods (4): with more, the deviation rule would "
                    "never apply."
                ]
            },
        ),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(workspace, admin, data, errors):
    url = reverse("metrics-api:metrics-settings", args=[workspace.pk])
    response = _api(admin).patch(url, {**data, "expected_version": 1})
    assert response.status_code == 400 and response.json() == errors
    assert not MetricsSettings.objects.exists()


def test_an_update_needs_the_version(workspace, admin):
    url = reverse("metrics-api:metrics-settings", args=[workspace.pk])
    response = _api(admin).patch(url, {"shift_window": 10})
    assert response.status_code == 400 and list(response.json()) == ["expected_version"]


def test_the_settings_endpoint_is_in_the_schema(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    operations = paths["/api/v1/workspaces/{id}/metrics-settings/"]
    assert set(operations) >= {"get", "patch"} and "409" in operations["patch"]["responses"]
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/measurements/{id}/"])


def test_the_settings_page(client, workspace, admin, viewer):
    url = reverse("metrics:settings", args=[workspace.pk])
    client.force_login(viewer)
    page = _page(client.get(url))
    assert "Only workspace admins change these." in page and "<form" not in page.split("<main")[-1]
    assert client.post(url, {"shift_sigmas": "2", "expected_version": "1"}).status_code == 403
    client.force_login(admin)
    page = _page(client.get(url))
    assert 'name="shift_window"' in page and 'min="2"' in page and 'max="60"' in page
    form = {"shift_sigmas": "3", "shift_window": "8", "shift_min_history": "4", "shift_relative": "25",
            "expected_version": "1", "base_shift_sigmas": "3", "base_shift_window": "8",
            "base_shift_min_history": "4", "base_shift_relative": "25"}  # fmt: skip
    response = client.post(url, {**form, "shift_window": "12"})
    assert response.status_code == 302 and response["Location"] == url
    assert MetricsSettings.objects.get(workspace=workspace).shift_window == 12
    # Another admin's form, opened at version 1, changing another field: merged with the change saved
    # meanwhile (both kept).
    response = client.post(url, {**form, "shift_relative": "30"})
    assert response.status_code == 302
    saved = MetricsSettings.objects.get(workspace=workspace)
    assert (saved.shift_window, saved.shift_relative, saved.version) == (12, 30, 3)
    # The same field changed from version 1: a clash, answered 409, nothing saved.
    clash = client.post(url, {**form, "shift_window": "20"})
    assert clash.status_code == 409 and "you both changed" in clash.content.decode()
    assert MetricsSettings.objects.get(workspace=workspace).shift_window == 12
    # Bad input names the field.
    bad = client.post(url, {**form, "expected_version": "3", "shift_window": "12", "shift_min_history": "20"})
    assert bad.status_code == 200 and "At most n, the number of trailing periods (12)" in bad.content.decode()
    # The help page links to it and states the workspace's settings.
    help_page = _page(client.get(reverse("metrics:help")))
    assert url in help_page and "n = 12" in help_page


@pytest.mark.parametrize("changed", [False, True])
def test_settings_page_and_api_queries(client, workspace, admin, django_assert_num_queries, changed):
    if changed:
        _api(admin).patch(
            reverse("metrics-api:metrics-settings", args=[workspace.pk]),
            {"shift_window": 9, "expected_version": 1},
        )
    client.force_login(admin)
    # session, user, memberships (top bar), the membership with the workspace, the settings (with who
    # changed them)
    with django_assert_num_queries(5):
        _page(client.get(reverse("metrics:settings", args=[workspace.pk])))
