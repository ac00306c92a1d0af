"""People's text as they typed it: right-to-left text keeps its direction on every page, quotes are not
doubled, and inputs never cut text silently (no maxlength; the limit as data-max-chars from the form).

Every page type is rendered with Arabic in every field a person can type (journey title, description,
persona, tags, stage/step/lane names and descriptions, card text, note and channel, comments, version names,
saved views, team and workspace names, people's names, activity summaries). Every text node holding such
text must sit in an element with dir="auto" (or a <bdi>, which isolates its text with its own direction):
otherwise an Arabic sentence renders left to right and begins with its final "!".
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from journeys import services
from journeys.models import LaneKind
from journeys.services import comments, structure, versioning
from journeys.templatetags.text_ui import is_quoted

from .. import factories

ARABIC = re.compile(r"[\u0600-\u06FF]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Text nodes that cannot carry a direction of their own, or are not shown as text.
EXEMPT = {"option", "title", "script", "style", "template"}
INLINE_MARKS = {"del", "ins", "mark"}
TEXT_INPUT_TYPES = {None, "text", "search", "email", "url"}


def ar(word: str) -> str:
    """Arabic text starting and ending with a strong right-to-left letter, then an exclamation mark."""
    return f"مرحبا {word} بالعالم!"


class DirectionCheck(HTMLParser):
    """Collects every piece of right-to-left text not isolated by dir="auto" or <bdi>, and every text input
    or text area without dir="auto" or with a maxlength."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in TEXT_INPUT_TYPES:
            self._check_input(tag, attrs, attrs.get("value") or "")
        if tag == "textarea":
            self._check_input(tag, attrs, "")
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def _check_input(self, tag, attrs, value):
        name = attrs.get("name") or attrs.get("id") or "?"
        if attrs.get("dir") != "auto":
            self.problems.append(f"<{tag} name={name}> without dir=auto")
        if "maxlength" in attrs:
            self.problems.append(f"<{tag} name={name}> cuts text silently (maxlength={attrs['maxlength']})")

    def handle_data(self, data):
        if not ARABIC.search(data) or not self.stack:
            return
        # Diff markup inside a run of user text takes the run's direction.
        depth = len(self.stack) - 1
        while depth > 0 and self.stack[depth][0] in INLINE_MARKS:
            depth -= 1
        tag, attrs = self.stack[depth]
        if tag in EXEMPT or tag == "bdi" or attrs.get("dir") == "auto":
            return
        where = " > ".join(f"{t}.{(a.get('class') or '').split(' ')[0]}" for t, a in self.stack[-3:])
        self.problems.append(f"{where}: {data.strip()[:50]!r}")


def problems_of(html: str) -> list[str]:
    checker = DirectionCheck()
    checker.feed(html)
    return checker.problems


@pytest.fixture
def rtl(db):
    """A workspace, people, journeys and a map where everything a person typed is Arabic."""
    admin = factories.make_user("rtl-admin", first_name="سارة", last_name="أحمد")
    workspace = factories.make_workspace(ar("مساحة"), admin=admin)
    editor = factories.add_member(
        workspace, factories.make_user("rtl-editor", first_name="علي", last_name="حسن"), Role.EDITOR
    )
    viewer = factories.add_member(workspace, factories.make_user("rtl-viewer", first_name="منى"), Role.VIEWER)
    team = account_services.team_create(workspace=workspace, name=ar("فريق"), members=[editor])
    parent = factories.make_journey(workspace, by=admin, title=ar("الرحلة الأم"))
    journey = services.journey_create(
        workspace=workspace,
        by=admin,
        title=ar("رحلة"),
        description=ar("وصف"),
        persona=ar("شخصية"),
        tags=["وسم"],
        parent=parent,
    )
    stage = services.stage_create(journey_id=journey.pk, by=admin, title=ar("مرحلة"), description=ar("شرح"))
    step = services.step_create(stage_id=stage.pk, by=admin, title=ar("خطوة"), description=ar("تفصيل"))
    child = structure.sub_journey_create_from_step(step_id=step.pk, by=admin, title=ar("رحلة فرعية"))
    cards = {}
    for kind in LaneKind.values:
        lane = services.lane_create(journey_id=journey.pk, by=admin, title=ar(f"مسار {kind}"), kind=kind)
        fields = {"note": ar("ملاحظة")}
        if kind == LaneKind.TOUCHPOINTS:
            fields["channel"] = ar("قناة")
        if kind == LaneKind.EMOTIONS:
            fields["emotion_score"] = 2
        cards[kind] = services.card_create(
            lane_id=lane.pk, step_id=step.pk, by=editor, text=ar(f"بطاقة {kind}"), **fields
        )
    version = versioning.version_save(journey_id=journey.pk, by=admin, label=ar("نسخة"))
    services.card_update(card_id=cards[LaneKind.ACTIONS].pk, by=editor, text=ar("نص جديد"))
    services.stage_update(stage_id=stage.pk, by=editor, title=ar("مرحلة جديدة"))
    doomed = services.lane_create(journey_id=journey.pk, by=admin, title=ar("مسار محذوف"))
    services.lane_delete(lane_id=doomed.pk, by=admin)
    comment = comments.comment_create(card_id=cards[LaneKind.PAIN_POINTS].pk, by=editor, body=ar("تعليق"))
    comments.comment_create(
        card_id=cards[LaneKind.PAIN_POINTS].pk, by=admin, body=ar("رد"), thread=comment.pk
    )
    saved_view = structure.saved_view_create(journey_id=journey.pk, by=admin, name=ar("عرض"))
    future = structure.journey_copy(
        journey_id=journey.pk, by=admin, title=ar("رحلة مستقبلية"), with_cards=True, as_future_state=True
    )
    return {
        "admin": admin,
        "editor": editor,
        "viewer": viewer,
        "workspace": workspace,
        "team": team,
        "journey": journey,
        "child": child,
        "stage": stage,
        "step": step,
        "lane": cards[LaneKind.THOUGHTS].lane,
        "card": cards[LaneKind.PAIN_POINTS],
        "touchpoint": cards[LaneKind.TOUCHPOINTS],
        "version": version,
        "saved_view": saved_view,
        "future": future,
    }


def page_urls(d) -> list[tuple[str, str]]:
    j, ws = d["journey"], d["workspace"]
    return [
        ("list", reverse("journeys:list")),
        ("list filtered", reverse("journeys:list") + "?q=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7"),
        ("create", reverse("journeys:create")),
        ("map", reverse("journeys:map", args=[j.pk])),
        ("map grid", reverse("journeys:map_grid", args=[j.pk])),
        ("sub-journey map", reverse("journeys:map", args=[d["child"].pk])),
        ("settings", reverse("journeys:settings", args=[j.pk])),
        ("access", reverse("journeys:access", args=[j.pk])),
        ("delete", reverse("journeys:delete", args=[j.pk])),
        ("present", reverse("journeys:present", args=[j.pk])),
        ("saved view", reverse("journeys:saved_view", args=[j.pk, d["saved_view"].pk])),
        ("compare", reverse("journeys:compare", args=[j.pk]) + f"?with={d['future'].pk}"),
        ("copy", reverse("journeys:copy", args=[j.pk])),
        ("new from", reverse("journeys:new_from")),
        ("sub-journey create", reverse("journeys:sub_journey_create", args=[j.pk, d["step"].pk])),
        ("versions", reverse("journeys:versions", args=[j.pk])),
        ("version", reverse("journeys:version_detail", args=[j.pk, d["version"].pk])),
        ("diff", reverse("journeys:version_diff", args=[j.pk]) + f"?from={d['version'].pk}&to=now"),
        ("comments", reverse("journeys:card_comments", args=[j.pk, d["card"].pk])),
        ("activity", reverse("journeys:activity", args=[j.pk])),
        ("trash", reverse("journeys:editor_trash", args=[j.pk])),
        ("card form", reverse("journeys:editor_card_edit", args=[d["card"].pk])),
        ("touchpoint form", reverse("journeys:editor_card_edit", args=[d["touchpoint"].pk])),
        ("new card form", reverse("journeys:editor_card_new", args=[j.pk]) + f"?lane={d['lane'].pk}&step={d['step'].pk}"),  # noqa: E501
        ("card", reverse("journeys:editor_card", args=[d["card"].pk])),
        ("stage form", reverse("journeys:editor_stage", args=[d["stage"].pk])),
        ("step form", reverse("journeys:editor_step", args=[d["step"].pk])),
        ("lane form", reverse("journeys:editor_lane", args=[d["lane"].pk])),
        ("members", reverse("accounts:members", args=[ws.pk])),
        ("teams", reverse("accounts:teams", args=[ws.pk])),
        ("workspace create", reverse("accounts:workspace_create")),
    ]  # fmt: skip


def test_every_page_isolates_right_to_left_text(client, rtl):
    """Admin (every edit affordance) and viewer (the read-only map) see user text with its own direction."""
    failures = {}
    for who in ("admin", "viewer"):
        client.force_login(rtl[who])
        for name, url in page_urls(rtl):
            response = client.get(url, HTTP_HX_REQUEST="true" if "grid" in name else None)
            if who == "viewer" and response.status_code == 403:
                continue
            assert response.status_code == 200, (who, name, response.status_code)
            html = response.content.decode()
            if name not in ("workspace create", "create", "list filtered"):
                assert ARABIC.search(html), f"{name}: the page shows none of the Arabic data"
            found = problems_of(html)
            if found:
                failures[f"{who}: {name} {url}"] = found
    assert not failures, "\n".join(f"{page}\n    " + "\n    ".join(found) for page, found in failures.items())


def test_the_checker_finds_unisolated_text():
    """The check itself: text outside dir=auto/<bdi>, inputs without dir=auto or with maxlength."""
    assert problems_of(f"<p>{ar('x')}</p>") == [f"p.: {ar('x')!r}"]
    assert problems_of(f'<p dir="auto">{ar("x")}</p><p>Hello <bdi>{ar("x")}</bdi>!</p>') == []
    assert problems_of(f"<select><option>{ar('x')}</option></select>") == []
    assert len(problems_of('<input name="title" maxlength="120"><textarea name="t"></textarea>')) == 3
    assert problems_of('<input type="hidden" name="v" value="1"><input type="checkbox" name="c">') == []


def test_sign_in_and_invitation_pages_isolate_names(client, rtl):
    """Pages of people who are not signed in (yet), and the password change of one who is."""
    invitation = account_services.invitation_create(
        workspace=rtl["workspace"], by=rtl["admin"], email="new@example.com", role=Role.VIEWER
    )
    urls = [
        reverse("accounts:invitation_accept", args=[invitation.token]),
        reverse("accounts:login"),
        reverse("accounts:password_reset"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert problems_of(response.content.decode()) == [], url
    client.force_login(rtl["viewer"])
    for url in (
        reverse("accounts:invitation_accept", args=[invitation.token]),
        reverse("accounts:password_change"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert problems_of(response.content.decode()) == [], url


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("“Is this safe?”", True),
        ('"Is this safe?"', True),
        ("«Est-ce sûr ?»", True),
        ("„Ist das sicher?“", True),
        ("'Is this safe?'", True),
        ("‘Is this safe?’", True),
        ("「安全ですか」", True),
        ("  “padded”  ", True),
        ("Is this safe?", False),
        ('"Hmm" he thought', False),
        ("“", False),
        ("", False),
    ],
)
def test_is_quoted(text, quoted):
    assert is_quoted(text) is quoted


def test_thoughts_lane_does_not_double_quotes(client, admin, workspace):
    journey = factories.make_journey(workspace, by=admin)
    stage = services.stage_create(journey_id=journey.pk, by=admin, title="S")
    step = services.step_create(stage_id=stage.pk, by=admin, title="T")
    lane = services.lane_create(journey_id=journey.pk, by=admin, title="Thinks", kind=LaneKind.THOUGHTS)
    quoted = services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="«Est-ce sûr ?»")
    plain = services.card_create(lane_id=lane.pk, step_id=step.pk, by=admin, text="Is this safe?")
    client.force_login(admin)
    html = client.get(reverse("journeys:map", args=[journey.pk])).content.decode()
    assert re.search(rf'id="card-{quoted.pk}"[^>]*>.*?<p class="card__text card__text--quoted"', html, re.S)
    assert re.search(rf'id="card-{plain.pk}"[^>]*>.*?<p class="card__text"', html, re.S)


def test_text_inputs_carry_their_limit_from_the_form(client, rtl):
    """The card form's limits come from the form fields (the model's max_length), in characters."""
    from journeys.forms.editor import CardForm, StageForm

    client.force_login(rtl["admin"])
    html = client.get(reverse("journeys:editor_card_edit", args=[rtl["touchpoint"].pk])).content.decode()
    form = CardForm()
    for name in ("text", "note", "channel"):
        tag = re.search(rf'<(?:textarea|input)[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'data-max-chars="{form.fields[name].max_length}"' in tag, tag
    html = client.get(reverse("journeys:editor_stage", args=[rtl["stage"].pk])).content.decode()
    tag = re.search(r'<input[^>]*name="title"[^>]*>', html).group(0)
    assert f'data-max-chars="{StageForm().fields["title"].max_length}"' in tag


def test_the_comment_box_carries_the_comment_limit(client, rtl):
    from journeys.models import Comment

    client.force_login(rtl["viewer"])
    html = client.get(
        reverse("journeys:card_comments", args=[rtl["journey"].pk, rtl["card"].pk])
    ).content.decode()
    limit = Comment._meta.get_field("body").max_length
    boxes = re.findall(r'<(?:textarea|input)[^>]*name="body"[^>]*>', html)
    assert len(boxes) == 2  # the new comment and the reply to the one thread
    assert all(f'data-max-chars="{limit}"' in box and "maxlength" not in box for box in boxes)
