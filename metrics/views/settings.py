"""A workspace's shift-detection settings (metrics/shifts.py): every member sees them and what they mean;
workspace admins change them. A form opened before another admin saved is merged per field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import access as workspace_access
from accounts.forms import add_service_errors
from accounts.models import Role
from accounts.views import follow_workspace
from core.errors import Conflict
from core.forms import base_values, labels_of, merge_stale

from .. import selectors, services, shifts
from ..forms import ShiftSettingsForm


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def shift_settings(request, pk):
    """GET: the workspace's shift settings (members; the form for admins). POST: change them (admins)."""
    workspace = workspace_access.workspace_for(request.user, pk)
    follow_workspace(request, workspace.pk, workspace.role)
    admin = workspace.role == Role.ADMIN
    if request.method == "POST" and not admin:
        raise PermissionDenied("Only workspace admins can change the shift settings.")
    current = selectors.metrics_settings(workspace_id=workspace.pk)
    initial = ShiftSettingsForm.initial_of(current)
    form = ShiftSettingsForm(request.POST or None, initial=initial) if admin else None
    base = base_values(initial, request.POST)
    conflict, clashes = None, []
    if form is not None and request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):
            try:
                services.metrics_settings_update(
                    workspace_id=workspace.pk,
                    by=request.user,
                    expected_version=expected,
                    **form.settings_fields(),
                )
            except Conflict as exc:
                conflict = exc.current
                theirs = ShiftSettingsForm.initial_of(conflict)
                data, clashes = merge_stale(request.POST, theirs, conflict.version)
                form = ShiftSettingsForm(data, initial=theirs)
                base = base_values(theirs)
                if clashes or not form.is_valid():
                    form.is_valid()
                    break
                expected = conflict.version
            except ValidationError as exc:
                add_service_errors(form, exc)
                break
            else:
                merged = " (merged with changes saved meanwhile)" if conflict is not None else ""
                messages.success(request, f"Shift settings saved{merged}. Later scans use them.")
                return redirect("metrics:settings", pk=workspace.pk)
    context = {
        "workspace": workspace,
        "current": current,
        "defaults": shifts.Params(),
        "form": form,
        "base": base,
        "conflict": conflict,
        "clashes": labels_of(form, clashes) if form is not None else [],
    }
    return render(request, "metrics/shift_settings.html", context, status=409 if conflict else 200)
