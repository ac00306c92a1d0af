"""Schemathesis over the whole API: the server answers what its OpenAPI schema says, and never 5xx.

Every operation of /api/schema/ is called in-process (the WSGI app, schemathesis' werkzeug client) as a
signed-in workspace admin, with data behind every kind of id: once with the ids of real objects in the path
(positive and negative bodies and query strings), once with generated ids. Every registered schemathesis
check runs on every answer (the CLI's `--checks all`): no server error, status code, content type, headers
and body as documented, bad data refused, valid data accepted, other methods answered 405.

Each operation runs inside a savepoint that is rolled back, so a DELETE never starves the next operation of
data. Django's `close_old_connections` runs after each request and would close the test's connection (its
transaction has autocommit off): it is disconnected while the calls run, as Django's own test client does.
"""

import datetime
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.generation.modes import GenerationMode

from accounts import services as account_services
from accounts.models import Role
from journeys import services
from journeys.models import Card, Lane, Stage, Step
from journeys.services import comments, structure, versioning
from metrics import services as metrics
from prioritization import services as prioritization
from prioritization.services import initiatives
from prioritization.services import integrations as integration_services
from prioritization.services import webhooks as webhook_services
from research import services as research

from . import factories

POSITIVE_EXAMPLES = 10  # per operation, with real ids in the path
NEGATIVE_EXAMPLES = 8  # per operation with a body or query parameters, with real ids in the path
ANY_IDS_EXAMPLES = 4  # per operation with ids in the path, generated ones
# Valid data may still be refused with 400 for what a schema cannot say (a lane of *this* journey, a
# visible character, a team name not yet taken, a version of this journey): the refusal must then name
# a documented field of the request (refusals_name_the_field below).
POSITIVE_DATA_ACCEPTED = ["2xx", "400", "401", "403", "404", "409"]


class Rollback(Exception):
    pass


@pytest.fixture
def in_process_calls():
    """Requests served in this thread leave the test's connection (and its transaction) open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(db):
    """A workspace with a member, a team, an invitation, a map with comments, a version, a trashed card,
    a saved view, a template and a future state: an object behind every kind of id in the API's paths."""
    admin = factories.make_user("alice", first_name="Alice")
    workspace = factories.make_workspace("Acme", admin=admin)
    editor = factories.add_member(workspace, factories.make_user("bob", first_name="Bob"), Role.EDITOR)
    team = account_services.team_create(workspace=workspace, name="Onboarding squad", members=[editor])
    account_services.invitation_create(
        workspace=workspace, by=admin, email="new@example.com", role=Role.VIEWER, invite_url_base="http://x/"
    )
    journey = factories.make_journey(workspace, by=admin, title="Customer lifecycle", tags=["b2b"])
    factories.make_map(journey, cards=12)
    card = Card.objects.filter(journey=journey).order_by("pk").first()
    thread = comments.comment_create(card_id=card.pk, by=admin, body="Is this still true, @bob?")
    comments.comment_create(card_id=card.pk, by=editor, body="Yes.", thread=thread.pk)
    version = versioning.version_save(journey_id=journey.pk, by=admin, label="Before the workshop")
    doomed = Card.objects.filter(journey=journey).order_by("-pk").first()
    trashed = services.card_delete(card_id=doomed.pk, by=admin, expected_version=doomed.version)
    view = structure.saved_view_create(
        journey_id=journey.pk, by=admin, name="Customer-facing", hidden_lanes=[]
    )
    future = structure.journey_copy(journey_id=journey.pk, by=admin, title="Future", as_future_state=True)
    structure.journey_template_set(journey_id=future.pk, by=admin, is_template=True)
    study = research.study_create(
        workspace_id=workspace.pk, by=admin, title="Interviews", method="interviews"
    )
    evidence = research.evidence_create(
        workspace_id=workspace.pk,
        by=admin,
        text="I gave up at the tax number.",
        study=study.pk,
        tags=["Setup"],
    )
    link = research.link_create(evidence_id=evidence.pk, by=admin, card=card.pk)
    tag = research.tag_create(workspace_id=workspace.pk, by=admin, name="Pricing")
    gone = research.evidence_create(workspace_id=workspace.pk, by=admin, text="Deleted, to put back.")
    research_trash = research.evidence_delete(evidence_id=gone.pk, by=admin)
    metric = metrics.metric_create(journey_id=journey.pk, by=admin, name="Onboarding CSAT", kind="csat")
    metrics.measurement_upsert(metric_id=metric.pk, by=admin, date=datetime.date(2025, 1, 31), value=80)
    pain_lane = services.lane_create(journey_id=journey.pk, by=admin, title="Pain points", kind="pain_points")
    pain = services.card_create(
        lane_id=pain_lane.pk, step_id=Step.objects.filter(journey=journey).first().pk, by=admin, text="No SSO"
    )
    initiative = initiatives.initiative_create(workspace_id=workspace.pk, by=admin, title="Guided setup")
    initiatives.initiative_card_link(initiative_id=initiative.pk, card_id=pain.pk, by=admin)
    target = initiatives.initiative_target_add(
        initiative_id=initiative.pk, by=admin, metric_id=metric.pk, expected_direction="up", expected_size=2
    )
    delivery_link = initiatives.delivery_link_add(
        initiative_id=initiative.pk, by=admin, provider="jira", key="ONB-1", url="https://x.example.com/ONB-1"
    )
    webhook = webhook_services.webhook_create(
        workspace_id=workspace.pk, by=admin, url="https://hooks.example.com/"
    )
    ids = {
        "workspaces": workspace.pk,
        "journeys": journey.pk,
        "stages": Stage.objects.filter(journey=journey).first().pk,
        "steps": Step.objects.filter(journey=journey).first().pk,
        "lanes": Lane.objects.filter(journey=journey).first().pk,
        "cards": card.pk,
        "comments": thread.pk,
        "versions": version.pk,
        "trash": trashed.pk,
        "saved-views": view.pk,
        "user_id": editor.pk,
        "team_id": team.pk,
        "studies": study.pk,
        "evidence": evidence.pk,
        "evidence-links": link.pk,
        "research-tags": tag.pk,
        "research-trash": research_trash.pk,
        "metrics": metric.pk,
        "measurements": metric.measurements.get().pk,
        "scoring-models": prioritization.scoring_model_ensure_default(workspace_id=workspace.pk).pk,
        "integrations": integration_services.integration_create(
            workspace_id=workspace.pk, by=admin, provider="jira", name="Jira Cloud"
        ).pk,
        "webhooks": webhook.pk,
        "initiatives": initiative.pk,
        "initiative-targets": target.pk,
        "delivery-links": delivery_link.pk,
        "card_id": pain.pk,
        "webhook-deliveries": webhook_services.webhook_send_test(webhook_id=webhook.pk, by=admin).pk,
    }
    return {"token": Token.objects.create(user=admin).key, "ids": ids}


def _request_fields(raw_schema, operation) -> set[str]:
    """Names a request to this operation may carry: its parameters and its JSON body's properties."""
    definition = raw_schema["paths"][operation.path][operation.method.lower()]
    names = {p["name"] for p in definition.get("parameters", [])}
    body = definition.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        component = body["schema"]["$ref"].rsplit("/", 1)[1]
        names |= set(raw_schema["components"]["schemas"][component].get("properties", {}))
    return names


@schemathesis.check
def refusals_name_the_field(ctx, response, case):
    """A 400 says which documented field (or `non_field_errors`, or `detail` for an unreadable body) is
    wrong, so a person can fix it."""
    if response.status_code != 400:
        return None
    body = response.json()
    allowed = _request_fields(case.operation.schema.raw_schema, case.operation) | {
        "non_field_errors",
        "detail",
    }
    # …or the object the path names, when its state refuses the request ("This step already links…").
    kind = case.operation.path.removeprefix("/api/v1/").split("/", 1)[0]
    allowed.add({"trash": "item", "research-trash": "item"}.get(kind, kind.removesuffix("s")))
    if not (isinstance(body, dict) and body and set(body) <= allowed):
        raise AssertionError(f"400 without naming a field of the request: {body}")
    return None


def real_path_parameters(operation, ids) -> dict:
    """The ids of real objects for an operation's path: /api/v1/<kind>/{id}/… gets the <kind>'s."""
    kind = operation.path.removeprefix("/api/v1/").split("/", 1)[0]
    names = [p.name for p in operation.path_parameters]
    return {name: ids[kind] if name in ("id", "pk") else ids[name] for name in names}


def run_operation(operation, checks, headers, *, strategy, examples) -> list[str]:
    """Call the operation `examples` times per strategy; the failures, one line each."""
    failures = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def call(case):
        case.call_and_validate(headers=headers, checks=checks)

    try:
        call()
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis failures, with the requests
        failures.append(f"{operation.label}: {exc}")
    return failures


def test_the_api_answers_as_its_schema_says(api_data, in_process_calls):
    started = time.monotonic()
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=POSITIVE_DATA_ACCEPTED
    )
    load_all_checks()
    checks = list(CHECKS.get_all())
    headers = {"Authorization": f"Token {api_data['token']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 50
    failures, calls = [], 0
    for operation in operations:
        real = real_path_parameters(operation, api_data["ids"])
        runs = [(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real), POSITIVE_EXAMPLES)]
        if operation.body or operation.query:  # something to make invalid besides the path
            runs.append(
                (operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real), NEGATIVE_EXAMPLES)
            )
        if real:
            runs.append((operation.as_strategy(GenerationMode.POSITIVE), ANY_IDS_EXAMPLES))
        for strategy, examples in runs:
            try:
                with transaction.atomic():
                    failures += run_operation(
                        operation, checks, headers, strategy=strategy, examples=examples
                    )
                    raise Rollback
            except Rollback:
                pass
            calls += examples
    elapsed = time.monotonic() - started
    print(f"schemathesis: {len(operations)} operations, up to {calls} calls, {elapsed:.1f} s")  # noqa: T201
    assert not failures, "\n\n".join(failures)
