"""A metric's pages: detail (line chart with target and thresholds, measurements table, shifts, history of
changes, a form to add a measurement), create, edit (a stale form answers with the conflict) and delete
(saying what goes with it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import add_service_errors
from core.errors import Conflict
from core.forms import base_values, labels_of, merge_stale
from journeys.access import people_who_see
from journeys.models import Journey

from .. import access, charts, health, selectors, services
from ..forms import MeasurementForm, MetricDeleteForm, MetricForm
from ..models import Component, Measurement, Source
from .common import can_edit, follow, metric_row, value_text

CHART_PERIODS = 36  # the chart's recent periods; the table pages through all of them
PAGE_SIZE = 50  # measurements a page of the table
TOLERANCE = health.TOLERANCE * 100  # percent, for the forms' help
COMPONENT_LABELS = dict(Component.choices)
SOURCE_LABELS = dict(Source.choices)
# The journey row with what the create page shows (its workspace for the owner's choices), in one query.
JOURNEY_QUERYSET = Journey.objects.select_related("workspace")


def _components(components: dict) -> str:
    """Counts in the order of models.Component ("Promoters (9–10): 57, Passives (7–8): 30, …")."""
    comps = components or {}
    return ", ".join(f"{label}: {comps[key]:,}" for key, label in COMPONENT_LABELS.items() if key in comps)


def _measurements(request, metric) -> dict:
    """The page of the metric's measurements that `?page=` asks for, as the table shows them (two
    queries: the count and the rows)."""
    paginator = Paginator(selectors.measurement_rows(metric_id=metric.pk), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    unit = metric.unit_text()
    rows = [
        {
            "m": m,
            "period": charts.period_label(m.period_start, m.period_end),
            "value": value_text(m.value, unit, places=None),
            "components": _components(m.components),
            "responses": selectors.responses_of(m.components),
            "source": SOURCE_LABELS.get(m.source, m.source),
        }
        for m in page.object_list
    ]
    return {"page": page, "rows": rows}


def _detail(request, metric, form=None, status=200):
    """The metric's page (also shown again, with its errors, by a measurement that was refused)."""
    journey = metric.journey
    editable = can_edit(journey)
    table = _measurements(request, metric)
    if request.method == "GET" and request.htmx and not request.htmx.history_restore_request:
        # The pager asks for the next page of the table only.
        context = {"metric": metric, "journey": journey, "can_edit": editable, **table}
        response = render(request, "metrics/_measurements.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    h = health.metrics_health([metric], periods=CHART_PERIODS)[metric.pk]
    if form is None and editable:
        form = MeasurementForm()
    context = {
        "journey": journey,
        "metric": metric,
        "row": metric_row(h),
        "h": h,
        # str(): django-csp's lazy nonce is falsy until read, and reading it puts it in the header.
        "chart": charts.line_chart(h, nonce=str(request.csp_nonce)),
        **table,
        "shifts": selectors.metric_shifts(metric_id=metric.pk),
        "activity": selectors.metric_activity(journey_id=journey.pk, metric_id=metric.pk),
        "can_edit": editable,
        "form": form,
        "unit": metric.unit_text(),
        "where": _where(metric),
    }
    response = render(request, "metrics/metric_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _where(metric) -> str:
    if metric.step_id:
        return f"Step “{metric.step.title}”"
    if metric.stage_id:
        return f"Stage “{metric.stage.title}”"
    return "The journey as a whole"


@login_required
@require_http_methods(["GET", "HEAD"])
def metric_detail(request, pk):
    """A metric: chart, measurements, shifts and history (anyone who sees its journey)."""
    metric = access.metric_for(request.user, pk)
    follow(request, metric.journey)
    return _detail(request, metric)


@login_required
@require_POST
def measurement_add(request, pk):
    """Record one measurement of the metric (edit on its journey); a refused one shows the metric's page
    again with the errors by field, nothing saved."""
    metric = access.metric_for(request.user, pk, need=access.EDIT)
    follow(request, metric.journey)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        try:
            result = services.measurement_upsert(
                metric_id=metric.pk, by=request.user, source=Source.MANUAL, **form.measurement_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            period = charts.period_label(
                form.cleaned_data["period_start"], form.measurement_fields()["period_end"]
            )
            said = "unchanged" if result.unchanged else "updated" if result.updated else "recorded"
            messages.success(request, f"Measurement for {period} {said}.")
            return redirect("metrics:metric", pk=metric.pk)
    return _detail(request, metric, form=form)


# ---------------------------------------------------------------------------------------------- writes


def _form(request, journey, *, initial, creating: bool, data=None) -> MetricForm:
    return MetricForm(
        data,
        initial=initial,
        places=selectors.metric_places(journey_id=journey.pk),
        people=people_who_see(journey).order_by("first_name", "username"),
        creating=creating,
    )


def _place_asked(request) -> str | None:
    for kind in ("step", "stage"):
        raw = request.GET.get(kind, "")
        if raw.isascii() and raw.isdigit():
            return f"{kind}:{int(raw)}"
    return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def metric_create(request, pk):
    """A new metric on the journey, one of its stages or steps (`?stage=`/`?step=` picks the place)."""
    journey = access.journey_for(request.user, pk, need=access.EDIT, queryset=JOURNEY_QUERYSET)
    follow(request, journey)
    initial = {"owner": request.user.pk, "place": _place_asked(request) or "journey", "weight": 1}
    form = _form(request, journey, initial=initial, creating=True, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            metric = services.metric_create(journey_id=journey.pk, by=request.user, **form.metric_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Metric “{metric.name}” added.")
            return redirect("metrics:metric", pk=metric.pk)
    return render(
        request, "metrics/metric_form.html", {"form": form, "journey": journey, "tolerance": TOLERANCE}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def metric_edit(request, pk):
    """Edit a metric. A form opened before someone else saved is merged per field with their version
    (core.forms.merge_stale); only fields both changed are left for the person to decide (answered 409)."""
    metric = access.metric_for(request.user, pk, need=access.EDIT)
    journey = metric.journey
    follow(request, journey)
    initial = MetricForm.initial_of(metric)
    form = _form(request, journey, initial=initial, creating=False, data=request.POST or None)
    base = base_values(initial, request.POST)
    conflict, clashes = None, []
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):  # someone may save again between our reads: merge again
            try:
                services.metric_update(
                    metric_id=metric.pk, by=request.user, expected_version=expected, **form.metric_fields()
                )
            except Conflict as exc:
                conflict = exc.current
                theirs = MetricForm.initial_of(conflict)
                data, clashes = merge_stale(request.POST, theirs, conflict.version)
                form = _form(request, journey, initial=theirs, creating=False, data=data)
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
                messages.success(request, f"Metric saved{merged}.")
                return redirect("metrics:metric", pk=metric.pk)
    return render(
        request,
        "metrics/metric_form.html",
        {
            "form": form,
            "journey": journey,
            "metric": metric,
            "base": base,
            "conflict": conflict,
            "clashes": labels_of(form, clashes),
            "tolerance": TOLERANCE,
        },
        status=409 if conflict is not None else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def metric_delete(request, pk):
    """Delete a metric after a confirmation that says what goes with it: its measurements and shifts."""
    metric = access.metric_for(request.user, pk, need=access.EDIT)
    journey = metric.journey
    follow(request, journey)
    form = MetricDeleteForm(request.POST or None, initial={"expected_version": metric.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.metric_delete(
                metric_id=metric.pk, by=request.user, expected_version=form.cleaned_data["expected_version"]
            )
        except Conflict:
            form.add_error(
                None, "Someone changed this metric since you opened this page. Check it and try again."
            )
        else:
            messages.success(request, f"Metric “{metric.name}” deleted.")
            return redirect("metrics:journey", pk=journey.pk)
    counts = {
        "measurements": Measurement.objects.filter(metric_id=metric.pk).count(),
        "shifts": metric.shifts.count(),
    }
    return render(
        request,
        "metrics/metric_delete.html",
        {"journey": journey, "metric": metric, "form": form, "counts": counts, "where": _where(metric)},
    )
