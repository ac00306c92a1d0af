"""One measurement corrected or deleted from its metric's measurements table (edit on the journey). The
change is recorded in the metric's history; health is worked out again on the next read, and the metric's
shift of that period is found again by the scan queued after the change (metrics/services.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import add_service_errors
from core.errors import Conflict
from core.forms import base_values, labels_of, merge_stale

from .. import access, charts, services
from ..forms import MeasurementDeleteForm, MeasurementEditForm
from .common import follow, value_text


def _what(measurement) -> str:
    period = charts.period_label(measurement.period_start, measurement.period_end)
    return f"{period} ({measurement.segment})" if measurement.segment else period


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def measurement_edit(request, pk):
    """Correct a measurement: its period, value, segment or counts. A form opened before someone else
    changed it is merged per field with their version (core.forms.merge_stale); only fields both changed
    are left for the person to decide (answered 409)."""
    measurement = access.measurement_for(request.user, pk, need=access.EDIT)
    metric = measurement.metric
    follow(request, metric.journey)
    initial = MeasurementEditForm.initial_of(measurement)
    form = MeasurementEditForm(request.POST or None, initial=initial)
    base = base_values(initial, request.POST)
    conflict, clashes = None, []
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):  # someone may save again between our reads: merge again
            try:
                services.measurement_update(
                    measurement_id=measurement.pk,
                    by=request.user,
                    expected_version=expected,
                    **form.measurement_fields(),
                )
            except Conflict as exc:
                conflict = exc.current
                theirs = MeasurementEditForm.initial_of(conflict)
                data, clashes = merge_stale(request.POST, theirs, conflict.version)
                form = MeasurementEditForm(data, initial=theirs)
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
                messages.success(request, f"Measurement for {_what(measurement)} saved{merged}.")
                return redirect("metrics:metric", pk=metric.pk)
    context = {
        "measurement": measurement,
        "metric": metric,
        "journey": metric.journey,
        "form": form,
        "base": base,
        "conflict": conflict,
        "clashes": labels_of(form, clashes),
        "what": _what(measurement),
    }
    return render(request, "metrics/measurement_form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def measurement_delete(request, pk):
    """Delete a measurement after a confirmation naming its period, segment and value."""
    measurement = access.measurement_for(request.user, pk, need=access.EDIT)
    metric = measurement.metric
    follow(request, metric.journey)
    form = MeasurementDeleteForm(request.POST or None, initial={"expected_version": measurement.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_delete(
                measurement_id=measurement.pk,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        except Conflict as exc:
            if exc.current is not None:
                measurement = exc.current
                measurement.metric = metric
            form = MeasurementDeleteForm({"expected_version": measurement.version})
            form.is_valid()
            form.add_error(
                None,
                "Someone changed this measurement since you opened this page: it is shown as it is now. "
                "Delete it if it should still go.",
            )
            status = 409
        else:
            messages.success(request, f"Measurement for {_what(measurement)} deleted.")
            return redirect("metrics:metric", pk=metric.pk)
    context = {
        "measurement": measurement,
        "metric": metric,
        "journey": metric.journey,
        "form": form,
        "what": _what(measurement),
        "value": value_text(measurement.value, metric.unit_text(), places=None),
    }
    return render(request, "metrics/measurement_delete.html", context, status=status)
