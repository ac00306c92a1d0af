"""journeys_ui.constant_markup: markup drawn from constants once per process and URL prefix (the score
picker's panel, the lane menu's kinds), the same as the template drawn each time."""

from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, set_script_prefix

from journeys.models import EMOTION_MAX, EMOTION_MIN, LaneKind
from journeys.templatetags import journeys_ui

TAG = Template('{% load journeys_ui %}{% constant_markup "journeys/editor/_lane_kind_chips.html" %}')


def test_the_markup_is_the_templates_and_follows_the_url_prefix():
    journeys_ui._CONSTANT_MARKUP.clear()
    before = get_script_prefix()
    try:
        set_script_prefix("/")
        plain = TAG.render(Context())
        set_script_prefix("/throughline/")
        prefixed = TAG.render(Context())
    finally:
        set_script_prefix(before)
    assert plain == render_to_string(
        "journeys/editor/_lane_kind_chips.html", {"lane_kinds": LaneKind.choices}
    )
    assert plain.count("kind-chip ") == len(LaneKind.choices)
    assert 'hx-post="/throughline/' in prefixed and 'hx-post="/throughline/' not in plain


def test_the_score_picker_offers_every_emotion_score():
    html = Template(
        '{% load journeys_ui %}{% constant_markup "journeys/editor/_score_picker_panel.html" %}'
    ).render(Context())
    values = [str(n) for n in range(EMOTION_MAX, EMOTION_MIN - 1, -1)]
    assert [f'value="{v}"' in html for v in values] == [True] * len(values)
    assert html.count('name="emotion_score"') == len(values) + 1  # and "Clear score"
