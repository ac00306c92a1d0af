"""Demo data: the “Northwind Analytics” workspace, a B2B SaaS company mapping its mid-market customers.

`demo_load()` builds it through the services (journeys.services, journeys.structure, accounts.services), so
revisions, activity and grants are real. It is idempotent: when the workspace exists it changes nothing.
The content lives in the data structures below; the builder at the end only walks them.

Card shorthand in a step's `cards` (keyed by lane kind):
  "text"                         a card
  ("Channel", "text")            a touchpoint card with its channel
  (score, "text")                an emotion card, score −3…+3
  {"text": …, "note": …}         any card fields spelled out
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import services as account_services
from accounts.models import Role, Workspace

from . import services
from .models import Journey, JourneyLevel, LaneKind, StandardStage, Visibility
from .services import structure

WORKSPACE_NAME = "Northwind Analytics"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    job: str
    role: str
    can_sign_in: bool = True

    @property
    def email(self) -> str:
        return f"{self.first_name.lower()}.{self.last_name.lower()}@northwind-analytics.example"


USERS = (
    DemoUser("admin", "Priya", "Raman", "Head of Customer Experience", Role.ADMIN),
    DemoUser("editor", "Marcus", "Lee", "Senior Product Designer", Role.EDITOR),
    DemoUser("viewer", "Sofia", "Alvarez", "VP Customer Success", Role.VIEWER),
    # Colleagues who own or follow journeys but have no demo login.
    DemoUser("nadia", "Nadia", "Okafor", "Support Operations Lead", Role.EDITOR, can_sign_in=False),
    DemoUser("tom", "Tom", "Becker", "Chief Revenue Officer", Role.VIEWER, can_sign_in=False),
)

TEAMS = {
    "Customer Experience": ("admin", "editor"),
    "Product & Design": ("editor", "tom"),
    "Support Operations": ("nadia", "viewer"),
    "Revenue Leadership": ("admin", "tom"),
}


def demo_password(username: str) -> str:
    """The public demo password of a demo login (printed by `load_demo`; never use the demo in production)."""
    return f"throughline-{username}"


ACT, TOUCH, THINK, FEEL, PAIN, IDEA, BACK, SYS, METRIC = (
    LaneKind.ACTIONS,
    LaneKind.TOUCHPOINTS,
    LaneKind.THOUGHTS,
    LaneKind.EMOTIONS,
    LaneKind.PAIN_POINTS,
    LaneKind.OPPORTUNITIES,
    LaneKind.BACKSTAGE,
    LaneKind.SYSTEMS,
    LaneKind.METRICS,
)

FULL_LANES = (
    ("Customer actions", ACT),
    ("Touchpoints", TOUCH),
    ("Thoughts", THINK),
    ("Emotions", FEEL),
    ("Pain points", PAIN),
    ("Opportunities", IDEA),
    ("Backstage", BACK),
    ("Systems", SYS),
    ("Metrics", METRIC),
)

LIFECYCLE = {
    "key": "lifecycle",
    "title": "Customer lifecycle — mid-market",
    "description": (
        "How a mid-market operations team finds, buys, adopts and renews Northwind, from the first "
        "spreadsheet crisis to referring a peer. Built from 24 customer interviews (Q1–Q2), trial analytics "
        "and 1,900 support tickets."
    ),
    "persona": "Operations lead at a 200–1,000-person company",
    "tags": ["mid-market", "lifecycle", "2025-h2"],
    "owner": "admin",
    "level": JourneyLevel.LIFECYCLE,
    "lanes": FULL_LANES,
    "stages": [
        {
            "title": "Awareness",
            "standard": StandardStage.AWARENESS,
            "description": "The ops lead realises manual reporting does not scale.",
            "steps": [
                {
                    "title": "Hits the reporting wall",
                    "cards": {
                        ACT: ["Rebuilds the Monday ops report from five spreadsheet exports"],
                        TOUCH: [
                            (
                                "Word of mouth",
                                "Peer in a RevOps Slack community mentions automated board packs",
                            )
                        ],
                        THINK: ["I spend half of Monday copy-pasting numbers nobody trusts"],
                        FEEL: [(-2, "Stressed: the board pack is due and the numbers don't reconcile")],
                        PAIN: [
                            {
                                "text": "Weekly report takes ~4 hours and is stale by Wednesday",
                                "note": "Mentioned in 17 of 24 interviews.",
                            }
                        ],
                    },
                },
                {
                    "title": "Searches for a reporting tool",
                    "cards": {
                        ACT: ["Googles “Salesforce NetSuite dashboard without SQL”"],
                        TOUCH: [
                            ("Search", "Lands on the “Ops reporting without a data team” guide"),
                        ],
                        FEEL: [(0, "Curious but sceptical")],
                        IDEA: [
                            "Comparison page “Northwind vs. building it in Looker” for non-technical buyers"
                        ],
                    },
                },
                {
                    "title": "Reads reviews",
                    "cards": {
                        ACT: ["Reads G2 reviews filtered to companies of 201–1,000 people"],
                        TOUCH: [("Review site", "G2 profile: 4.6★ from 312 reviews")],
                        THINK: ["Reviewers like it, but does it integrate with NetSuite?"],
                        FEEL: [(1, "Encouraged by reviews from companies like hers")],
                        PAIN: ["Integration list on the website is out of date: NetSuite is missing"],
                        METRIC: ["Website → demo request conversion 1.8% (target 2.5%)"],
                    },
                },
            ],
        },
        {
            "title": "Consideration",
            "standard": StandardStage.CONSIDERATION,
            "description": "Demo, trial and the security review decide whether the deal moves this quarter.",
            "steps": [
                {
                    "title": "Books a demo",
                    "cards": {
                        ACT: ["Fills in the demo form and picks a slot the same day"],
                        TOUCH: [("Calendly", "Sales call scheduled via Calendly within 2 minutes")],
                        FEEL: [(2, "Relieved: the demo uses her own Salesforce data")],
                        BACK: ["SDR qualifies the lead in Salesforce within one business hour"],
                    },
                },
                {
                    "title": "Runs a 14-day trial",
                    "cards": {
                        ACT: ["Connects a Salesforce sandbox and builds a first pipeline chart"],
                        TOUCH: [
                            ("In-app", "Trial checklist with five setup tasks"),
                        ],
                        THINK: ["Where do I set up SSO so my team can try it?"],
                        FEEL: [(-1, "Stuck: can't invite colleagues without SSO")],
                        PAIN: [
                            "Can't find SSO setup in docs — it is only on the Enterprise plan page",
                            "Trial expires before IT approves the Salesforce connection",
                        ],
                        IDEA: [
                            "Extend the trial automatically while a data connection waits for IT approval"
                        ],
                        METRIC: ["Trial-to-paid conversion 18% (target 25%)"],
                    },
                },
                {
                    "title": "Passes the security review",
                    "cards": {
                        ACT: ["Forwards a 180-question security questionnaire to IT"],
                        TOUCH: [("Trust portal", "SOC 2 Type II report, released after an NDA request")],
                        FEEL: [(-2, "Anxious that the deal slips into next quarter")],
                        PAIN: ["Security questionnaires are answered by hand: 11 days on average"],
                        IDEA: ["Self-serve trust portal with pre-filled CAIQ and SIG Lite answers"],
                        BACK: ["Solutions engineer answers questionnaires from a shared Google Doc"],
                    },
                },
            ],
        },
        {
            "title": "Purchase/Acquisition",
            "standard": StandardStage.PURCHASE,
            "description": "Pricing, paperwork and the hand-over from sales to customer success.",
            "steps": [
                {
                    "title": "Negotiates the contract",
                    "cards": {
                        ACT: ["Asks for annual pricing with 20 viewer seats"],
                        TOUCH: [("Video call", "Pricing call with the account executive")],
                        THINK: ["Why do viewers cost the same as editors?"],
                        FEEL: [(-1, "Wary of per-seat pricing")],
                        PAIN: ["Viewer seats priced like editor seats inflate the quote by ~30%"],
                    },
                },
                {
                    "title": "Signs the order form",
                    "cards": {
                        ACT: ["Signs via DocuSign and receives the welcome email"],
                        TOUCH: [("Email", "Welcome email from the CSM with a kick-off link")],
                        FEEL: [(1, "Committed, and under pressure to show value")],
                        BACK: ["Closed-won triggers the AE → CSM hand-over in Salesforce"],
                        METRIC: ["Sales cycle: 47 days median"],
                    },
                },
            ],
        },
        {
            "title": "Onboarding",
            "standard": StandardStage.ONBOARDING,
            "description": "From kick-off to the first dashboard the leadership team actually uses.",
            "steps": [
                {
                    "title": "Kick-off call",
                    "sub_journey": "onboarding",
                    "cards": {
                        ACT: ["Agrees on three first dashboards with the CSM"],
                        TOUCH: [("Video call", "60-minute kick-off with CSM and solutions engineer")],
                        FEEL: [(2, "Confident in the plan")],
                        BACK: ["CSM reads the sales notes before the call (often incomplete)"],
                    },
                },
                {
                    "title": "Connects data sources",
                    "cards": {
                        ACT: ["Connects Salesforce, NetSuite and Zendesk"],
                        TOUCH: [("In-app", "Connector setup wizard")],
                        THINK: ["Why does the NetSuite token keep expiring?"],
                        FEEL: [(-3, "Blocked: the NetSuite sync fails overnight without an error")],
                        PAIN: [
                            "NetSuite sync failures are silent: the customer finds out from empty charts",
                            "Needs a NetSuite admin for OAuth scopes, and nobody said so beforehand",
                        ],
                        IDEA: ["Pre-kick-off checklist listing the admin rights each connector needs"],
                        SYS: ["Connector service and sync scheduler"],
                        METRIC: ["Time to first dashboard: 9 days median (target 3)"],
                    },
                },
                {
                    "title": "Shares the first dashboard",
                    "cards": {
                        ACT: ["Shares the “Weekly ops” dashboard with the leadership team"],
                        TOUCH: [("Email", "Scheduled dashboard digest, Mondays 8:00")],
                        FEEL: [(2, "Proud to show leadership live numbers")],
                    },
                },
            ],
        },
        {
            "title": "Engagement",
            "standard": StandardStage.ENGAGEMENT,
            "description": "Northwind joins the weekly rhythm; support keeps the numbers trusted.",
            "steps": [
                {
                    "title": "Builds a weekly routine",
                    "cards": {
                        ACT: ["Reviews the ops dashboard in the Monday leadership meeting"],
                        FEEL: [(1, "Settled into a routine")],
                        METRIC: ["Weekly active viewers per account: 14"],
                    },
                },
                {
                    "title": "Contacts support",
                    "sub_journey": "support",
                    "cards": {
                        ACT: ["Reports that the revenue chart doesn't match NetSuite"],
                        TOUCH: [("Chat", "In-app chat")],
                        THINK: ["If the numbers are wrong, I lose the CFO's trust"],
                        FEEL: [(-2, "Worried about wrong numbers in front of the CFO")],
                        PAIN: [
                            "First response in business hours only: 9 h median for tickets opened on a Friday"
                        ],
                        BACK: ["Tier 1 triages; data issues escalate to the integrations team"],
                    },
                },
                {
                    "title": "Rolls out to more teams",
                    "cards": {
                        ACT: ["Invites finance and customer success"],
                        FEEL: [(2, "Energised by adoption beyond ops")],
                        IDEA: ["Team templates for Finance and CS with recommended dashboards"],
                        METRIC: ["Seat expansion in the first 6 months: +35%"],
                    },
                },
            ],
        },
        {
            "title": "Advocacy/Retention",
            "standard": StandardStage.ADVOCACY,
            "description": "Renewal is won in the quarterly reviews; advocacy follows trusted numbers.",
            "steps": [
                {
                    "title": "Quarterly business review",
                    "cards": {
                        ACT: ["Reviews usage and ROI with the CSM ahead of renewal"],
                        TOUCH: [("Video call", "QBR deck with usage analytics")],
                        THINK: ["Can I prove it saved us time? I need this for the budget round."],
                        FEEL: [(0, "Neutral: the value is real but hard to quantify")],
                        PAIN: ["No built-in view of hours saved; the CSM builds ROI slides by hand"],
                        IDEA: ["Automated ROI summary: reports replaced, hours saved, active viewers"],
                    },
                },
                {
                    "title": "Renews and refers a peer",
                    "cards": {
                        ACT: ["Renews for two years and introduces a peer from her RevOps community"],
                        FEEL: [(3, "Delighted: she has become the “data person” internally")],
                        METRIC: ["Gross revenue retention 91%; net revenue retention 108%"],
                    },
                },
                {
                    "title": "Answers the NPS survey",
                    "cards": {
                        ACT: ["Scores 8 and asks for better NetSuite support in the comment"],
                        TOUCH: [("In-app survey", "Quarterly NPS prompt after a dashboard view")],
                        FEEL: [(1, "Positive, with one lingering worry")],
                        PAIN: ["Survey comments never get a reply: customers don't see feedback acted on"],
                        IDEA: ["Close the loop: reply to every NPS comment within 5 days"],
                        METRIC: ["NPS 31 → target 45 by Q4"],
                    },
                },
            ],
        },
    ],
}

ONBOARDING = {
    "key": "onboarding",
    "title": "Onboarding — kick-off to first value",
    "description": "The first 30 days after signature: who does what until the first dashboard is in use.",
    "persona": "Operations lead and her NetSuite admin",
    "tags": ["mid-market", "onboarding"],
    "owner": "editor",
    "level": JourneyLevel.SUB_JOURNEY,
    "parent": "lifecycle",
    "lanes": (
        ("Customer actions", ACT),
        ("Touchpoints", TOUCH),
        ("Emotions", FEEL),
        ("Pain points", PAIN),
        ("Opportunities", IDEA),
        ("Backstage", BACK),
    ),
    "stages": [
        {
            "title": "Kick-off",
            "standard": StandardStage.ONBOARDING,
            "steps": [
                {
                    "title": "Kick-off call",
                    "cards": {
                        ACT: ["Walks the CSM through the current board pack"],
                        FEEL: [(2, "Feels heard")],
                        BACK: ["CSM copies goals into the success plan in Gainsight"],
                    },
                },
                {
                    "title": "Agrees the success plan",
                    "cards": {
                        ACT: ["Signs off three dashboards and a go-live date"],
                        FEEL: [(1, "Clear on next steps")],
                        PAIN: ["Success plan lives in a PDF nobody opens again"],
                        IDEA: ["Success plan as a shared checklist inside the product"],
                    },
                },
            ],
        },
        {
            "title": "Set up",
            "standard": StandardStage.ONBOARDING,
            "steps": [
                {
                    "title": "Invites the team and sets up SSO",
                    "cards": {
                        ACT: ["Asks IT to configure Okta SSO"],
                        TOUCH: [("Docs", "SSO guide (SAML, Okta, Azure AD)")],
                        FEEL: [(-1, "Waiting on IT again")],
                        PAIN: ["SSO guide assumes admin rights the ops lead doesn't have"],
                    },
                },
                {
                    "title": "Connects data sources",
                    "cards": {
                        ACT: ["Her NetSuite admin creates an integration role"],
                        TOUCH: [("In-app", "Connector wizard with a test-sync step")],
                        FEEL: [(-3, "Lost: the first sync fails with “403 INSUFFICIENT_PERMISSION”")],
                        PAIN: ["The error names no missing permission; the admin guesses for two days"],
                        IDEA: ["Permission check before the first sync, naming each missing right"],
                        BACK: ["Solutions engineer joins a screen-share to debug roles"],
                    },
                },
            ],
        },
        {
            "title": "First value",
            "standard": StandardStage.ONBOARDING,
            "steps": [
                {
                    "title": "Builds the first dashboard",
                    "cards": {
                        ACT: ["Starts from the “Weekly ops” template and adapts four charts"],
                        FEEL: [(2, "Things finally click")],
                    },
                },
                {
                    "title": "Goes live with leadership",
                    "cards": {
                        ACT: ["Presents the dashboard in the Monday leadership meeting"],
                        FEEL: [(3, "Celebrated by the COO")],
                    },
                },
            ],
        },
    ],
}

SUPPORT = {
    "key": "support",
    "title": "Support — resolving a data discrepancy",
    "description": "What happens when a dashboard number disagrees with the source system.",
    "persona": "Operations lead with the CFO waiting for an answer",
    "tags": ["support", "data-quality"],
    "owner": "nadia",
    "level": JourneyLevel.SUB_JOURNEY,
    "parent": "lifecycle",
    "lanes": (
        ("Customer actions", ACT),
        ("Touchpoints", TOUCH),
        ("Emotions", FEEL),
        ("Pain points", PAIN),
        ("Opportunities", IDEA),
        ("Backstage", BACK),
        ("Systems", SYS),
        ("Metrics", METRIC),
    ),
    "stages": [
        {
            "title": "Notice",
            "standard": StandardStage.ENGAGEMENT,
            "steps": [
                {
                    "title": "Spots a wrong number",
                    "cards": {
                        ACT: ["Sees Q3 revenue differ from NetSuite by $42k"],
                        FEEL: [(-2, "Alarmed before the finance review")],
                        PAIN: ["No indicator of when data was last synced"],
                    },
                },
            ],
        },
        {
            "title": "Ask for help",
            "standard": StandardStage.ENGAGEMENT,
            "steps": [
                {
                    "title": "Opens a chat",
                    "cards": {
                        ACT: ["Opens chat from the dashboard and pastes a screenshot"],
                        TOUCH: [("Chat", "Chat bot asks three triage questions first")],
                        FEEL: [(-1, "Impatient with the bot")],
                        SYS: ["Intercom bot routes “data” questions to Tier 1"],
                    },
                },
                {
                    "title": "Ticket is triaged",
                    "cards": {
                        TOUCH: [("Email", "Ticket #48213 confirmation")],
                        FEEL: [(-2, "Silence for 9 hours")],
                        BACK: ["Tier 1 reproduces the issue and tags it “integration”"],
                        METRIC: ["First response time: 9 h median (target 2 h)"],
                    },
                },
            ],
        },
        {
            "title": "Resolve",
            "standard": StandardStage.ENGAGEMENT,
            "steps": [
                {
                    "title": "Escalated to integrations",
                    "cards": {
                        FEEL: [(-1, "Chasing for updates")],
                        PAIN: ["Customer can't see escalation status; asks three times"],
                        IDEA: ["Shared status page per ticket with the engineering ETA"],
                        BACK: [
                            "Integrations engineer finds a currency-conversion bug in the NetSuite mapping"
                        ],
                        SYS: ["Jira INT project"],
                    },
                },
                {
                    "title": "Fix confirmed",
                    "cards": {
                        ACT: ["Re-runs the sync and checks totals against NetSuite"],
                        FEEL: [(2, "Relieved: the numbers match")],
                    },
                },
            ],
        },
        {
            "title": "Follow up",
            "standard": StandardStage.ADVOCACY,
            "steps": [
                {
                    "title": "Answers the CSAT survey",
                    "cards": {
                        ACT: ["Rates the ticket 4/5: “Fixed well, too slow to hear back”"],
                        FEEL: [(1, "Trust restored, mostly")],
                        METRIC: ["Support CSAT 4.2/5 (target 4.5)"],
                    },
                },
            ],
        },
    ],
}

# The future state is a structure-only copy of the lifecycle; these cards (keyed by step title) describe it.
FUTURE = {
    "key": "future",
    "title": "Customer lifecycle — mid-market (future state, 2026)",
    "future_state_of": "lifecycle",
    "by": "editor",
    "description": "The mid-market lifecycle we aim for by the end of 2026, after the H1 initiatives.",
    "cards": {
        "Hits the reporting wall": {FEEL: [(-2, "Still stressed by manual reporting (the trigger stays)")]},
        "Searches for a reporting tool": {FEEL: [(1, "Finds a guide written for ops leads, not engineers")]},
        "Reads reviews": {FEEL: [(1, "Sees NetSuite listed with 400 customers using it")]},
        "Books a demo": {FEEL: [(2, "Demo on her own data, booked instantly")]},
        "Runs a 14-day trial": {
            ACT: ["Invites her team through self-serve SSO on every plan"],
            FEEL: [(1, "Team tries it together in week one")],
            METRIC: ["Trial-to-paid conversion 25%"],
        },
        "Passes the security review": {
            TOUCH: [("Trust portal", "Self-serve portal answers 80% of the questionnaire instantly")],
            FEEL: [(0, "Security review is a formality")],
        },
        "Negotiates the contract": {FEEL: [(0, "Viewer seats are free: the quote makes sense")]},
        "Signs the order form": {FEEL: [(1, "Committed, with a clear onboarding plan")]},
        "Kick-off call": {FEEL: [(2, "Arrives with connectors pre-checked")]},
        "Connects data sources": {
            ACT: ["Connects sources after the pre-flight check has confirmed every permission"],
            FEEL: [(1, "Sync problems are flagged within 15 minutes, with the fix")],
            METRIC: ["Time to first dashboard: 3 days median"],
        },
        "Shares the first dashboard": {FEEL: [(3, "First win in the first week")]},
        "Builds a weekly routine": {FEEL: [(2, "The dashboard runs the Monday meeting")]},
        "Contacts support": {
            ACT: ["Gets a proactive alert: “Revenue differs from NetSuite by 0.4%: we're on it”"],
            FEEL: [(0, "Informed before she notices")],
        },
        "Rolls out to more teams": {FEEL: [(2, "Finance adopts it from a template")]},
        "Quarterly business review": {
            ACT: ["Opens the automated ROI summary before the QBR"],
            FEEL: [(2, "Can prove the value in one slide")],
        },
        "Renews and refers a peer": {FEEL: [(3, "Refers two peers a year")]},
        "Answers the NPS survey": {FEEL: [(2, "Sees her feedback answered")], METRIC: ["NPS 45"]},
    },
}

RESTRICTED = {
    "key": "restricted",
    "title": "Enterprise renewal — 2026 pricing change (confidential)",
    "description": "How renewing customers will experience the move to platform pricing. Confidential.",
    "persona": "Economic buyer at a renewing mid-market customer",
    "tags": ["pricing", "renewal", "confidential"],
    "owner": "admin",
    "level": JourneyLevel.MICRO,
    "visibility": Visibility.RESTRICTED,
    "grants": (("user", "editor", "edit"), ("team", "Revenue Leadership", "view")),
    "lanes": (("Customer actions", ACT), ("Emotions", FEEL), ("Pain points", PAIN), ("Backstage", BACK)),
    "stages": [
        {
            "title": "Announcement",
            "standard": StandardStage.ADVOCACY,
            "steps": [
                {
                    "title": "Receives the pricing letter",
                    "cards": {
                        ACT: ["Reads the 90-day notice of the new platform pricing"],
                        FEEL: [(-2, "Surprised by a 12% increase")],
                        BACK: ["CSMs briefed two weeks before the letters go out"],
                    },
                },
            ],
        },
        {
            "title": "Renewal",
            "standard": StandardStage.ADVOCACY,
            "steps": [
                {
                    "title": "Negotiates the renewal",
                    "cards": {
                        ACT: ["Asks for a multi-year lock at current pricing"],
                        FEEL: [(-1, "Sceptical, looking at alternatives")],
                        PAIN: ["Competitor offers a 40% first-year discount"],
                    },
                },
            ],
        },
    ],
}

JOURNEYS = (LIFECYCLE, ONBOARDING, SUPPORT, RESTRICTED)


# ---------------------------------------------------------------------------------------------- building


def _card_fields(item) -> dict:
    if isinstance(item, dict):
        return dict(item)
    if isinstance(item, tuple):
        first, text = item
        return (
            {"emotion_score": first, "text": text}
            if isinstance(first, int)
            else {"channel": first, "text": text}
        )
    return {"text": item}


def _add_cards(journey: Journey, step, cards: dict, lanes_by_kind: dict, by) -> None:
    for kind, items in cards.items():
        for item in items:
            services.card_create(lane_id=lanes_by_kind[kind].pk, step_id=step.pk, by=by, **_card_fields(item))


def _lanes(journey: Journey, specs, by) -> dict:
    for title, kind in specs:
        services.lane_create(journey_id=journey.pk, by=by, title=title, kind=kind)
    return {lane.kind: lane for lane in journey.lanes.all()}


def _build_map(journey: Journey, spec: dict, by) -> dict:
    """Stages, steps, lanes and cards of a journey; returns its steps by title."""
    lanes_by_kind = _lanes(journey, spec["lanes"], by)
    steps_by_title = {}
    for index, stage_spec in enumerate(spec["stages"]):
        stage = journey.stages.filter(position=index).first()  # from the framework, when there is one
        if stage is None:
            stage = services.stage_create(
                journey_id=journey.pk, by=by, title=stage_spec["title"], position=index,
                standard_stage=stage_spec.get("standard", ""), description=stage_spec.get("description", ""),
            )  # fmt: skip
        else:
            services.stage_update(
                stage_id=stage.pk,
                by=by,
                title=stage_spec["title"],
                description=stage_spec.get("description", ""),
            )
        for position, step_spec in enumerate(stage_spec["steps"]):
            # A new stage comes with one step: the first step of the spec takes it over.
            step = stage.steps.filter(position=0).first() if position == 0 else None
            if step is None:
                step = services.step_create(
                    stage_id=stage.pk, by=by, title=step_spec["title"], position=position
                )
            else:
                step = services.step_update(step_id=step.pk, by=by, title=step_spec["title"])
            steps_by_title[step.title] = step
            _add_cards(journey, step, step_spec["cards"], lanes_by_kind, by)
    return steps_by_title


@dataclass
class DemoResult:
    workspace: Workspace
    created: bool
    users: list  # (DemoUser, password or None when an existing account kept its own)


def _users() -> tuple[dict, list]:
    user_model = get_user_model()
    users, logins = {}, []
    for spec in USERS:
        user = user_model.objects.filter(username=spec.username).first()
        password = demo_password(spec.username) if spec.can_sign_in else None
        if user is None:
            user = user_model.objects.create_user(
                username=spec.username, email=spec.email, password=password,
                first_name=spec.first_name, last_name=spec.last_name,
            )  # fmt: skip
        if spec.can_sign_in:
            logins.append((spec, password if user.check_password(password) else None))
        users[spec.username] = user
    return users, logins


def demo_logins() -> list:
    """The demo logins as (DemoUser, password or None when the account has a password of its own)."""
    user_model = get_user_model()
    accounts = {u.username: u for u in user_model.objects.filter(username__in=[s.username for s in USERS])}
    out = []
    for spec in USERS:
        if spec.can_sign_in:
            user = accounts.get(spec.username)
            password = demo_password(spec.username)
            out.append((spec, password if user is not None and user.check_password(password) else None))
    return out


@transaction.atomic
def demo_load() -> DemoResult:
    """Create the demo workspace with its people, teams and journeys; do nothing when it exists."""
    existing = Workspace.objects.filter(name=WORKSPACE_NAME).first()
    if existing is not None:
        return DemoResult(workspace=existing, created=False, users=demo_logins())

    users, logins = _users()
    owner = users[USERS[0].username]
    workspace = account_services.workspace_create(name=WORKSPACE_NAME, by=owner)
    for spec in USERS[1:]:
        account_services.membership_set(workspace=workspace, user=users[spec.username], role=spec.role)
    teams = {
        name: account_services.team_create(
            workspace=workspace, name=name, members=[users[u] for u in members]
        )
        for name, members in TEAMS.items()
    }

    journeys, steps = {}, {}
    for spec in JOURNEYS:
        by = users[spec["owner"]]
        journey = services.journey_create(
            workspace=workspace,
            by=by,
            title=spec["title"],
            description=spec["description"],
            persona=spec["persona"],
            tags=list(spec["tags"]),
            level=spec["level"],
            parent=journeys.get(spec.get("parent")),
            visibility=spec.get("visibility", Visibility.WORKSPACE),
            from_framework=spec["level"] == JourneyLevel.LIFECYCLE,
            with_default_lanes=False,
        )
        journeys[spec["key"]] = journey
        steps[spec["key"]] = _build_map(journey, spec, by)
        for kind, name, level in spec.get("grants", ()):
            grantee = users[name] if kind == "user" else teams[name]
            services.journey_grant_set(journey_id=journey.pk, by=by, grantee=grantee, level=level)

    # Drill-down: lifecycle steps open their sub-journeys.
    for stage_spec in LIFECYCLE["stages"]:
        for step_spec in stage_spec["steps"]:
            if "sub_journey" in step_spec:
                services.step_update(
                    step_id=steps["lifecycle"][step_spec["title"]].pk,
                    by=users[LIFECYCLE["owner"]],
                    sub_journey=journeys[step_spec["sub_journey"]],
                )

    # The future state: the lifecycle's structure (with its sub-journey links), then its own cards.
    by = users[FUTURE["by"]]
    source = journeys[FUTURE["future_state_of"]]
    future = structure.journey_copy(
        journey_id=source.pk, by=by, title=FUTURE["title"], with_cards=False, as_future_state=True
    )
    services.journey_update(journey_id=future.pk, by=by, description=FUTURE["description"])
    lanes_by_kind = {lane.kind: lane for lane in future.lanes.all()}
    future_steps = {step.title: step for step in future.steps.all()}
    for step_title, cards in FUTURE["cards"].items():
        _add_cards(future, future_steps[step_title], cards, lanes_by_kind, by)

    return DemoResult(workspace=workspace, created=True, users=logins)
