"""Who may do what with metrics. A metric is part of its journey and follows the journey's access
(journeys/access.py; this module never talks to django-guardian): people who see the journey read its
metrics, measurements, shifts and health; people with edit on it define metrics and record measurements.
Outsiders and members without a grant on a restricted journey get 404, viewers 403 on writes.

Nothing about a metric of a journey the reader cannot see leaks: lists filter with `visible_metrics`, and
a journey's health counts only the sub-journeys the reader can see (metrics/health.py).
"""

from django.db.models import Subquery
from django.http import Http404

from core.text import parse_id
from journeys import access as journey_access
from journeys.access import EDIT, MANAGE, VIEW

from .models import Measurement, Metric

__all__ = [
    "EDIT", "MANAGE", "VIEW", "journey_for", "measurement_for", "metric_for", "visible_journey_ids",
    "visible_metrics",
]  # fmt: skip


def journey_for(user, pk, *, need: str = VIEW, queryset=None):
    """The journey with `.access_level` and `.role` set: 404 when the user cannot see it, 403 below
    `need` (journeys.access.journey_for). One query."""
    return journey_access.journey_for(user, pk, need=need, queryset=queryset)


def metric_for(user, pk, *, need: str = VIEW):
    """The metric, its `journey` read with the access check (`.access_level`, `.role` set on it): 404 when
    there is no such metric or the user cannot see its journey, 403 when they see it but lack `need`.
    Two queries."""
    metric_id = parse_id(pk) if isinstance(pk, str) else pk
    if metric_id is None or not user.is_authenticated:
        raise Http404("No such metric.")
    journey_id = Subquery(Metric.objects.filter(pk=metric_id).values("journey_id")[:1])
    journey = journey_access.journey_for(user, journey_id, need=need, what="metric")
    metric = Metric.objects.select_related("stage", "step", "owner").filter(pk=metric_id).first()
    if metric is None:  # deleted between the two reads
        raise Http404("No such metric.")
    metric.journey = journey
    return metric


def measurement_for(user, pk, *, need: str = VIEW):
    """The measurement with its metric (stage and step), the metric's `journey` read with the access check
    (`.access_level`, `.role` set): 404 when there is no such measurement or the user cannot see its
    journey, 403 when they see it but lack `need`. Two queries."""
    measurement_id = parse_id(pk) if isinstance(pk, str) else pk
    if measurement_id is None or not user.is_authenticated:
        raise Http404("No such measurement.")
    journey_id = Subquery(Measurement.objects.filter(pk=measurement_id).values("metric__journey_id")[:1])
    journey = journey_access.journey_for(user, journey_id, need=need, what="measurement")
    measurement = (
        Measurement.objects.select_related("metric__stage", "metric__step", "entered_by")
        .filter(pk=measurement_id)
        .first()
    )
    if measurement is None:  # deleted between the two reads
        raise Http404("No such measurement.")
    measurement.metric.journey = journey
    return measurement


def visible_metrics(user, queryset=None):
    """Metrics the user may see: those of journeys they can see (one subquery)."""
    qs = queryset if queryset is not None else Metric.objects.all()
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(journey_id__in=journey_access.visible_journeys(user).values("pk"))


def visible_journey_ids(user, ids) -> list[int]:
    """Which of these journey ids the user can see (one query; none for no ids)."""
    return journey_access.visible_journey_ids(user, ids)
