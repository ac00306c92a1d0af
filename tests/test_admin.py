"""Every model has a working Django admin: its list and add pages open for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from . import factories
from .checks import project_app_labels

# Derived, not listed: an app of this repository added to INSTALLED_APPS is checked without editing this.
OUR_APPS = project_app_labels()


def our_models():
    return sorted(
        (m._meta.app_label, m._meta.model_name) for m in admin.site._registry if m._meta.app_label in OUR_APPS
    )


def test_every_model_of_our_apps_is_in_the_admin():
    from django.apps import apps

    models = {
        (m._meta.app_label, m._meta.model_name)
        for label in OUR_APPS
        for m in apps.get_app_config(label).get_models()
    }
    assert models - set(our_models()) == set()


@pytest.mark.parametrize(("app_label", "model_name"), our_models())
def test_admin_list_and_add_pages_open(client, journey, app_label, model_name):
    superuser = factories.make_user("root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    for view in ("changelist", "add"):
        response = client.get(reverse(f"admin:{app_label}_{model_name}_{view}"))
        assert response.status_code == 200, (view, response.status_code)
