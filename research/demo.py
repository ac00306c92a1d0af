"""Research's part of the demo (`manage.py load_demo`, registered in apps.py through core/demo.py).

Three studies of the Northwind Analytics workspace — 24 onboarding interviews, a customer survey and an
analysis of a year of support tickets — with their evidence linked to the mid-market lifecycle map
(journeys/demo.py), so that its evidence view shows every confidence level (research/confidence.py):
cards that stay assumptions, weak ones (one quote), moderate and strong ones (several participants,
studies and methods), and contested ones, where credible evidence contradicts the card.

Everything is written through research.services (studies, evidence in bulk, one link at a time), so the
journey's activity feed, revision and "new research" events are real. Dates are relative to the day the
demo is loaded, so the evidence counts as recent. A study whose title the workspace has already is left
alone: loading again changes nothing.

Participants are pseudonymous labels: P01…P24 (interviews), R-numbers (survey respondents) and A-numbers
(the accounts that opened tickets).

Evidence shorthand: `ev(kind, participant, text, *links)`; a link is `card(step title, start of the card's
text)`, `step(title)` or `stage(title)`, each supporting the element unless given `X` (contradicts).
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from journeys import demo as journeys_demo
from journeys.models import Card

from . import services
from .confidence import Level, map_confidence, months_before
from .models import Kind, Method, Stance, Study

S, X = Stance.SUPPORTS, Stance.CONTRADICTS
QUOTE, OBSERVATION, DATA, FINDING = Kind.QUOTE, Kind.OBSERVATION, Kind.DATA_POINT, Kind.FINDING


@dataclass(frozen=True)
class Target:
    kind: str  # "card", "step" or "stage"
    title: str  # the step's (for a card: its step's) or the stage's title
    starts: str = ""  # for a card: the start of its text
    stance: str = S


def card(step_title: str, starts: str, stance: str = S) -> Target:
    return Target("card", step_title, starts, stance)


def step(title: str, stance: str = S) -> Target:
    return Target("step", title, "", stance)


def stage(title: str, stance: str = S) -> Target:
    return Target("stage", title, "", stance)


@dataclass(frozen=True)
class Item:
    kind: str
    participant: str
    text: str
    links: tuple[Target, ...] = field(default=())


def ev(kind: str, participant: str, text: str, *links: Target) -> Item:
    return Item(kind, participant, text, links)


# Lifecycle steps (journeys/demo.py LIFECYCLE), spelled once.
WALL, SEARCH, REVIEWS = "Hits the reporting wall", "Searches for a reporting tool", "Reads reviews"
DEMO, TRIAL, SECURITY = "Books a demo", "Runs a 14-day trial", "Passes the security review"
CONTRACT, SIGNS = "Negotiates the contract", "Signs the order form"
KICKOFF, CONNECTS, SHARES = "Kick-off call", "Connects data sources", "Shares the first dashboard"
ROUTINE, SUPPORT, ROLLOUT = "Builds a weekly routine", "Contacts support", "Rolls out to more teams"
QBR, RENEWS, NPS = "Quarterly business review", "Renews and refers a peer", "Answers the NPS survey"

INTERVIEWS = {
    "title": "Onboarding interviews",
    "method": Method.INTERVIEWS,
    "months": (11, 9),  # started and ended this many months before the demo is loaded
    "participants": 24,
    "segment": "Operations leads at mid-market customers (200–1,000 people), 3–18 months after signing",
    "owner": "editor",
    "summary": (
        "Twenty-four 45-minute video interviews with the operations leads who bought Northwind in the "
        "previous 3–18 months: how they found us, bought, set up their data sources and got to a first "
        "dashboard their leadership uses. Recorded with consent and transcribed; participants are "
        "labelled P01–P24. Discussion guide and recordings in the research repository."
    ),
    "external_link": "https://research.northwind-analytics.example/studies/onboarding-interviews",
    "tags": ["interviews", "onboarding", "mid-market"],
    "evidence": [
        # Awareness
        ev(
            QUOTE,
            "P03",
            "Every Monday I pull five exports — Salesforce, NetSuite, Zendesk, two Google "
            "Sheets — and rebuild the same deck. It's four hours, minimum.",
            card(WALL, "Weekly report takes"),
            card(WALL, "Rebuilds the Monday"),
        ),
        ev(
            QUOTE,
            "P07",
            "By Wednesday the report is already wrong, and people start quoting numbers from "
            "different versions of it.",
            card(WALL, "Weekly report takes"),
        ),
        ev(
            QUOTE,
            "P11",
            "I timed it once: three hours forty for the board pack, and that's when nothing breaks.",
            card(WALL, "Weekly report takes"),
        ),
        ev(
            QUOTE,
            "P15",
            "Half my Monday is copy-paste. Nobody trusts the numbers anyway, because they've "
            "seen me fix them by hand.",
            card(WALL, "Weekly report takes"),
            card(WALL, "I spend half"),
        ),
        ev(
            OBSERVATION,
            "P19",
            "Shared her ops report workbook: 14 tabs, three of them manual "
            "reconciliations between Salesforce bookings and NetSuite invoices.",
            card(WALL, "Weekly report takes"),
        ),
        ev(
            QUOTE,
            "P22",
            "I don't mind the work. I mind that the CFO asks me which number is right and I "
            "honestly don't know.",
            card(WALL, "I spend half"),
            card(WALL, "Stressed"),
        ),
        ev(
            QUOTE,
            "P02",
            "Someone in the RevOps Slack posted a screenshot of their board pack and said it "
            "built itself. That's how I heard of you.",
            card(WALL, "Peer in a RevOps Slack"),
        ),
        ev(
            QUOTE,
            "P09",
            "My search was literally ‘Salesforce NetSuite dashboard no SQL’. Your guide came up second.",
            card(SEARCH, "Googles"),
            card(SEARCH, "Lands on the"),
        ),
        ev(
            QUOTE,
            "P14",
            "Every tool I found assumed I had a data engineer. I have a spreadsheet and a deadline.",
            step(SEARCH),
            card(SEARCH, "Comparison page"),
        ),
        ev(
            OBSERVATION,
            "P13",
            "Sceptical of ‘no SQL’ claims after a failed Tableau roll-out at her "
            "previous company; wanted a peer reference before booking a demo.",
            card(SEARCH, "Curious"),
        ),
        ev(
            QUOTE,
            "P05",
            "I went to G2 and filtered to companies our size. Enterprise reviews don't tell me anything.",
            card(REVIEWS, "Reads G2"),
        ),
        ev(
            QUOTE,
            "P17",
            "Your integrations page didn't list NetSuite, so I nearly closed the tab. The "
            "sales rep told me it had been supported for a year.",
            card(REVIEWS, "Integration list"),
            card(REVIEWS, "Reviewers like it"),
        ),
        # Consideration
        ev(
            QUOTE,
            "P08",
            "I booked the demo at nine and the SDR called me before ten. That was impressive.",
            card(DEMO, "SDR qualifies"),
        ),
        ev(
            QUOTE,
            "P16",
            "I filled in the form on a Thursday and heard back the next Tuesday. By then I had "
            "two other demos booked.",
            card(DEMO, "SDR qualifies", X),
        ),
        ev(
            QUOTE,
            "P04",
            "They ran the demo on our own Salesforce sandbox. That's when I stopped thinking "
            "of it as another BI tool.",
            card(DEMO, "Relieved"),
        ),
        ev(
            QUOTE,
            "P04",
            "The trial ran out while our IT was still reviewing the Salesforce connected app. "
            "We had to beg for an extension.",
            card(TRIAL, "Trial expires"),
            card(TRIAL, "Extend the trial"),
        ),
        ev(
            QUOTE,
            "P09",
            "IT approval for a new data connection takes two to three weeks here. A 14-day "
            "trial is a demo, not a trial.",
            card(TRIAL, "Trial expires"),
            card(TRIAL, "Extend the trial"),
        ),
        ev(
            QUOTE,
            "P21",
            "I looked for SSO for twenty minutes before I found it on the Enterprise pricing page.",
            card(TRIAL, "Can't find SSO"),
            card(TRIAL, "Where do I set up SSO"),
        ),
        ev(
            QUOTE,
            "P01",
            "I couldn't invite my team without SSO, so I tried it alone — and alone I couldn't "
            "judge whether they'd use it.",
            card(TRIAL, "Stuck"),
            card(TRIAL, "Can't find SSO"),
        ),
        ev(
            QUOTE,
            "P10",
            "Our IT only allows tools behind Okta. No SSO in the trial meant no trial for the team.",
            card(TRIAL, "Can't find SSO"),
        ),
        ev(
            OBSERVATION,
            "P18",
            "Completed four of the five trial checklist tasks; skipped ‘invite a "
            "colleague’ because of the SSO restriction.",
            card(TRIAL, "Trial checklist"),
            card(TRIAL, "Can't find SSO"),
        ),
        ev(
            QUOTE,
            "P06",
            "Security sent me a 180-question spreadsheet. Two weeks later we were still on question 90.",
            card(SECURITY, "Security questionnaires"),
            card(SECURITY, "Forwards"),
        ),
        ev(
            QUOTE,
            "P12",
            "The SOC 2 report was behind an NDA, and the NDA took legal a week on its own.",
            card(SECURITY, "SOC 2 Type II"),
            card(SECURITY, "Security questionnaires"),
        ),
        ev(
            QUOTE,
            "P20",
            "I was sure the deal would slip into next quarter because of the security review.",
            card(SECURITY, "Anxious"),
        ),
        ev(
            OBSERVATION,
            "P06",
            "The solutions engineer shared a Google Doc of past questionnaire answers; "
            "several predated the SOC 2 report and were out of date.",
            card(SECURITY, "Solutions engineer answers"),
            card(SECURITY, "Self-serve trust portal"),
        ),
        # Purchase
        ev(
            QUOTE,
            "P05",
            "Twenty people only need to look at dashboards. Paying editor prices for them "
            "added almost a third to the quote.",
            card(CONTRACT, "Viewer seats"),
            card(CONTRACT, "Why do"),
        ),
        ev(
            QUOTE,
            "P12",
            "Viewer pricing was the one thing my CFO pushed back on.",
            card(CONTRACT, "Viewer seats"),
        ),
        ev(
            QUOTE,
            "P23",
            "Honestly, the per-seat price was fine. What we haggled over was the implementation fee.",
            card(CONTRACT, "Viewer seats", X),
        ),
        ev(
            QUOTE,
            "P13",
            "I've been burned by per-seat tools before: you end up rationing logins.",
            card(CONTRACT, "Wary"),
        ),
        ev(
            OBSERVATION,
            "P02",
            "Signed ten days after the pricing call; the DocuSign flow and the welcome "
            "email raised no questions.",
            card(SIGNS, "Signs via DocuSign"),
        ),
        # Onboarding
        ev(
            QUOTE,
            "P07",
            "The kick-off was the best meeting of the whole process. We left with three "
            "dashboards agreed and a date.",
            card(KICKOFF, "Confident"),
            card(KICKOFF, "Agrees on three"),
        ),
        ev(
            QUOTE,
            "P11",
            "The CSM had read our sales notes and knew about our NetSuite set-up, but the "
            "notes had nothing on who our admins are.",
            card(KICKOFF, "Confident"),
            card(KICKOFF, "CSM reads the sales notes"),
        ),
        ev(
            QUOTE,
            "P16",
            "At kick-off I had to explain everything I'd told sales all over again. It didn't "
            "feel like they had a plan for us.",
            card(KICKOFF, "Confident", X),
            card(KICKOFF, "CSM reads the sales notes"),
        ),
        ev(
            QUOTE,
            "P24",
            "We agreed a plan, but nobody mentioned we'd need a NetSuite admin. That's where it fell apart.",
            card(KICKOFF, "Confident", X),
            card(CONNECTS, "Needs a NetSuite admin"),
        ),
        ev(
            QUOTE,
            "P03",
            "The NetSuite sync failed three nights in a row and nothing told us. I found out "
            "from an empty chart in front of my COO.",
            card(CONNECTS, "NetSuite sync failures"),
            card(CONNECTS, "Blocked"),
        ),
        ev(
            QUOTE,
            "P10",
            "There was no error. The charts just stopped at Tuesday.",
            card(CONNECTS, "NetSuite sync failures"),
        ),
        ev(
            QUOTE,
            "P19",
            "Why does the NetSuite token keep expiring? I reconnected it four times in the first month.",
            card(CONNECTS, "Why does the NetSuite token"),
        ),
        ev(
            QUOTE,
            "P22",
            "Our NetSuite admin had to create an integration role with the right scopes, and "
            "nobody told us before kick-off. We lost a week.",
            card(CONNECTS, "Needs a NetSuite admin"),
            card(CONNECTS, "Pre-kick-off checklist"),
        ),
        ev(
            OBSERVATION,
            "P08",
            "Screen-share of the connector wizard: the test sync passed for Salesforce "
            "and failed for NetSuite with “403 INSUFFICIENT_PERMISSION”, naming no permission.",
            card(CONNECTS, "Needs a NetSuite admin"),
            card(CONNECTS, "Connector setup wizard"),
        ),
        ev(
            QUOTE,
            "P14",
            "Connecting Zendesk took five minutes. NetSuite took two weeks.",
            step(CONNECTS),
            card(CONNECTS, "Blocked"),
        ),
        ev(
            QUOTE,
            "P15",
            "The first Monday the leadership team saw live numbers, the COO asked why we "
            "hadn't done this years ago.",
            card(SHARES, "Proud"),
            card(SHARES, "Shares the"),
        ),
        ev(
            QUOTE,
            "P12",
            "The digest email on Monday morning is what actually gets people to open the dashboard.",
            card(SHARES, "Scheduled dashboard digest"),
        ),
        # Engagement
        ev(
            QUOTE,
            "P17",
            "The Monday leadership meeting now opens on the ops dashboard. Nobody brings "
            "their own spreadsheet any more.",
            card(ROUTINE, "Reviews the ops"),
            card(ROUTINE, "Settled"),
        ),
        ev(
            QUOTE,
            "P20",
            "When the revenue chart didn't match NetSuite, my first thought was: the CFO will "
            "never trust this again.",
            card(SUPPORT, "If the numbers"),
            card(SUPPORT, "Worried"),
        ),
        ev(
            QUOTE,
            "P09",
            "I opened a chat on Friday afternoon and got an answer on Monday. For a number the "
            "CFO was waiting on.",
            card(SUPPORT, "First response"),
        ),
        ev(QUOTE, "P24", "Support was quick for me — under an hour both times I asked."),
        ev(
            QUOTE,
            "P04",
            "Finance saw the dashboard and asked for their own. Now customer success wants one too.",
            card(ROLLOUT, "Invites finance"),
            card(ROLLOUT, "Energised"),
        ),
        ev(
            QUOTE,
            "P18",
            "With a finance template I'd have rolled it out in a week instead of a month.",
            card(ROLLOUT, "Team templates"),
        ),
        # Advocacy/Retention
        ev(
            QUOTE,
            "P06",
            "My CFO asked me to prove it saved us time. I had nothing but my word.",
            card(QBR, "No built-in view"),
            card(QBR, "Can I prove"),
        ),
        ev(
            QUOTE,
            "P13",
            "Our CSM spent a day building ROI slides for the QBR. I'd rather have had that "
            "day for my questions.",
            card(QBR, "No built-in view"),
            card(QBR, "Automated ROI summary"),
        ),
        ev(
            QUOTE,
            "P21",
            "At the QBR I want one slide: what we stopped doing by hand and how many people look at it.",
            card(QBR, "Automated ROI summary"),
            card(QBR, "No built-in view"),
        ),
        ev(
            OBSERVATION,
            "P23",
            "Described the value as ‘real but hard to put a number on’; the renewal was "
            "approved only after usage figures were added to the budget memo.",
            card(QBR, "Neutral"),
        ),
        ev(
            OBSERVATION,
            "P10",
            "Keeps a personal log of support tickets to show recurring NetSuite issues at renewal time.",
            step(QBR),
        ),
        ev(
            QUOTE,
            "P02",
            "I've recommended you to three people in the RevOps community. I'm the data person "
            "now, apparently.",
            card(RENEWS, "Delighted"),
            card(RENEWS, "Renews for two years"),
        ),
        ev(
            QUOTE,
            "P11",
            "I gave you an 8 because of NetSuite. Fix the sync and it's a 10.",
            card(NPS, "Scores 8"),
        ),
        ev(
            QUOTE,
            "P16",
            "I wrote a long comment in the NPS survey and never heard anything back.",
            card(NPS, "Survey comments never"),
        ),
        ev(
            QUOTE,
            "P05",
            "Our CSM called me the day after I left a low score, which I appreciated.",
            card(NPS, "Survey comments never", X),
        ),
        ev(
            OBSERVATION,
            "P03",
            "Could not find the onboarding success plan during the interview; it was a "
            "PDF sent after kick-off and not opened since.",
        ),
        ev(QUOTE, "P01", "Dark mode would be nice, but that's not why we'd leave."),
        # Findings across the interviews
        ev(
            FINDING,
            "",
            "17 of 24 participants described a weekly manual reporting routine of three hours "
            "or more before Northwind.",
            card(WALL, "Weekly report takes"),
        ),
        ev(
            FINDING,
            "",
            "NetSuite was the slowest connector for 11 of the 14 participants who use it; 9 of "
            "them learned of failed syncs from empty or stale charts.",
            card(CONNECTS, "NetSuite sync failures"),
            step(CONNECTS),
        ),
        ev(
            FINDING,
            "",
            "SSO in the trial came up unprompted in 8 interviews; 5 participants trialled "
            "alone because of it.",
            card(TRIAL, "Can't find SSO"),
        ),
        ev(
            FINDING,
            "",
            "15 participants called the kick-off the highlight of onboarding, yet 6 had to "
            "repeat what they had told sales.",
            card(KICKOFF, "Confident"),
            card(KICKOFF, "CSM reads the sales notes"),
        ),
        ev(
            FINDING,
            "",
            "Time from signature to the first shared dashboard, as participants remembered "
            "it: 6 to 31 days; the six longest all involved NetSuite.",
            stage("Onboarding"),
        ),
    ],
}

SURVEY = {
    "title": "Mid-market customer survey",
    "method": Method.SURVEY,
    "months": (6, 5),
    "participants": 412,
    "segment": "Admins, editors and viewers at mid-market accounts",
    "owner": "admin",
    "summary": (
        "Email survey of every mid-market account (2,950 invited, 412 answered, 14 %): how they found and "
        "evaluated Northwind, onboarding, weekly use, support and renewal, with NPS and open comments. "
        "Respondents are labelled by their response number (R001…)."
    ),
    "external_link": "https://research.northwind-analytics.example/studies/customer-survey",
    "tags": ["survey", "mid-market"],
    "evidence": [
        ev(
            DATA,
            "",
            "62 % of respondents spent more than three hours a week on manual reporting before "
            "Northwind (n = 412).",
            card(WALL, "Weekly report takes"),
        ),
        ev(
            DATA,
            "",
            "Main reason for evaluating Northwind: reports take too long (48 %), numbers don't "
            "reconcile (31 %), new leadership asked for dashboards (12 %), other (9 %).",
            step(WALL),
        ),
        ev(
            DATA,
            "",
            "How respondents first heard of Northwind: a peer's recommendation 34 %, search 27 %, "
            "review sites 18 %, events 9 %, other 12 %.",
            card(WALL, "Peer in a RevOps Slack"),
            card(SEARCH, "Lands on the"),
            card(REVIEWS, "G2 profile"),
        ),
        ev(DATA, "", "71 % read reviews on G2 or Capterra before booking a demo.", card(REVIEWS, "Reads G2")),
        ev(
            DATA,
            "",
            "41 % waited more than one business day for a first reply after requesting a demo.",
            card(DEMO, "SDR qualifies", X),
        ),
        ev(
            DATA,
            "",
            "Of trial users who invited no colleague, 58 % gave ‘SSO is not available in the "
            "trial’ as the reason.",
            card(TRIAL, "Can't find SSO"),
            card(TRIAL, "Stuck"),
        ),
        ev(
            DATA,
            "",
            "Trials with a data connection waiting for IT approval converted at 9 %, against 24 % "
            "for trials connected in their first week.",
            card(TRIAL, "Trial expires"),
            card(TRIAL, "Extend the trial"),
        ),
        ev(
            FINDING,
            "",
            "Respondents in regulated industries (finance, healthcare) report security reviews "
            "of two to four weeks; the questionnaire is the main delay.",
            card(SECURITY, "Security questionnaires"),
        ),
        ev(
            DATA,
            "",
            "44 % say the security review delayed their signature by more than two weeks.",
            card(SECURITY, "Security questionnaires"),
        ),
        ev(
            DATA,
            "",
            "Purchase concerns ranked: integration coverage 1st, implementation effort 2nd, "
            "security review 3rd … per-seat pricing 6th of 8 (9 % ranked it first or second).",
            card(CONTRACT, "Viewer seats", X),
        ),
        ev(
            QUOTE,
            "R117",
            "We'd have bought 40 viewer seats instead of 15 if viewers were cheaper.",
            card(CONTRACT, "Viewer seats"),
        ),
        ev(
            DATA,
            "",
            "Median time from signature to the first shared dashboard: 9 days (5 days without "
            "NetSuite, 16 days with it).",
            card(CONNECTS, "Time to first dashboard"),
            stage("Onboarding"),
        ),
        ev(
            QUOTE,
            "R042",
            "The sync to NetSuite broke silently twice in the first month. We only noticed "
            "because the chart went flat.",
            card(CONNECTS, "NetSuite sync failures"),
        ),
        ev(
            QUOTE,
            "R203",
            "Nobody told us we needed a NetSuite admin until the kick-off call. That should "
            "be in the welcome email.",
            card(CONNECTS, "Needs a NetSuite admin"),
            card(CONNECTS, "Pre-kick-off checklist"),
        ),
        ev(
            DATA,
            "",
            "Satisfaction with onboarding: 4.1 / 5; lowest item ‘connecting data sources’ (3.4 / 5).",
            step(CONNECTS),
        ),
        ev(
            DATA,
            "",
            "83 % open a Northwind dashboard at least weekly; 46 % in a recurring leadership meeting.",
            card(ROUTINE, "Reviews the ops"),
            card(ROUTINE, "Weekly active viewers"),
        ),
        ev(
            QUOTE,
            "R311",
            "The Monday digest is the only reason half my team looks at the numbers.",
            card(SHARES, "Scheduled dashboard digest"),
        ),
        ev(
            DATA,
            "",
            "Support: 68 % satisfied with the answers, 39 % with response times; ‘Friday "
            "afternoon’ comes up in 22 open comments.",
            card(SUPPORT, "First response"),
        ),
        ev(
            QUOTE,
            "R088",
            "Opened a chat about a revenue mismatch at 4 pm on a Friday, got a reply on Monday at 11.",
            card(SUPPORT, "First response"),
        ),
        ev(
            DATA,
            "",
            "57 % of accounts added a second team within six months; finance most often (38 %).",
            card(ROLLOUT, "Invites finance"),
            card(ROLLOUT, "Seat expansion"),
        ),
        ev(
            QUOTE,
            "R254",
            "A ready-made finance dashboard would have saved me a month of fiddling.",
            card(ROLLOUT, "Team templates"),
        ),
        ev(
            DATA,
            "",
            "Only 23 % can put a figure on the time Northwind saves them.",
            card(QBR, "No built-in view"),
            card(QBR, "Can I prove"),
        ),
        ev(
            QUOTE,
            "R150",
            "Give me a number for hours saved and I'll put it straight into the renewal memo.",
            card(QBR, "Automated ROI summary"),
        ),
        ev(
            DATA,
            "",
            "NPS of the respondents: 31 (promoters 44 %, passives 43 %, detractors 13 %).",
            card(NPS, "NPS 31"),
        ),
        ev(
            FINDING,
            "",
            "Detractors' comments are mostly about NetSuite reliability (41 %) and support hours (22 %).",
            card(NPS, "Scores 8"),
            step(NPS),
        ),
        ev(
            QUOTE,
            "R077",
            "I've answered this survey three times and never heard back. Why ask?",
            card(NPS, "Survey comments never"),
        ),
        ev(
            QUOTE,
            "R329",
            "We left feedback in the survey and nothing happened, so we stopped filling it in.",
            card(NPS, "Survey comments never"),
        ),
        ev(
            FINDING,
            "",
            "Respondents who had a reply to an earlier survey comment score 18 NPS points "
            "higher than those who had none.",
            card(NPS, "Close the loop"),
        ),
        ev(
            DATA,
            "",
            "The in-app NPS prompt is answered by 14 % of those who see it; this email survey by "
            "31 % of those who opened it.",
            card(NPS, "Quarterly NPS prompt"),
        ),
        ev(
            QUOTE, "R196", "The product is fine. Keep the integrations page up to date and answer on Fridays."
        ),
    ],
}

TICKETS = {
    "title": "Support ticket analysis — mid-market",
    "method": Method.SUPPORT_TICKETS,
    "months": (13, 1),
    "participants": 312,
    "segment": "Mid-market accounts that opened at least one ticket",
    "owner": "nadia",
    "summary": (
        "1,912 Zendesk tickets and chats from 312 mid-market accounts over twelve months, coded by topic, "
        "journey step and outcome; first-response and resolution times from Zendesk's reports. Accounts "
        "are labelled A-0001…; ticket texts quoted with personal details removed."
    ),
    "external_link": "https://research.northwind-analytics.example/studies/ticket-analysis",
    "tags": ["support", "tickets"],
    "evidence": [
        ev(
            DATA,
            "",
            "1,912 tickets from mid-market accounts in twelve months; 27 % tagged ‘data "
            "discrepancy’, the largest category.",
            step(SUPPORT),
        ),
        ev(
            DATA,
            "",
            "Median first response: 1.6 h for tickets opened Monday to Thursday, 9.1 h for "
            "tickets opened on a Friday (business hours only).",
            card(SUPPORT, "First response"),
        ),
        ev(
            FINDING,
            "",
            "Tickets opened after 3 pm on a Friday wait over the weekend; 38 % of them are "
            "about numbers needed for a Monday meeting.",
            card(SUPPORT, "First response"),
            card(SUPPORT, "If the numbers"),
        ),
        ev(
            DATA,
            "",
            "61 % of data-discrepancy tickets trace back to a NetSuite sync that failed without an alert.",
            card(CONNECTS, "NetSuite sync failures"),
        ),
        ev(
            QUOTE,
            "A-0412",
            "The revenue chart has been flat since Tuesday. Is this a bug or did we stop selling?",
            card(CONNECTS, "NetSuite sync failures"),
            card(SUPPORT, "Reports that"),
        ),
        ev(
            QUOTE,
            "A-0987",
            "The connector says ‘connected’ but there's no data after the 14th.",
            card(CONNECTS, "NetSuite sync failures"),
        ),
        ev(
            DATA,
            "",
            "Median time to resolve a NetSuite sync ticket: 2.8 days; 34 % are escalated to the "
            "integrations team.",
            card(SUPPORT, "Tier 1 triages"),
        ),
        ev(
            OBSERVATION,
            "",
            "Tier 1 reproduces data issues by hand in the customer's workspace before "
            "escalating; there is no runbook for NetSuite.",
            card(SUPPORT, "Tier 1 triages"),
        ),
        ev(
            DATA,
            "",
            "NetSuite token expiry causes about 210 tickets a year: tokens lapse after 30 days "
            "without a sign-in of the admin who connected them.",
            card(CONNECTS, "Why does the NetSuite"),
        ),
        ev(
            DATA,
            "",
            "23 % of onboarding tickets ask about something covered at the kick-off call.",
            card(KICKOFF, "Confident", X),
            card(KICKOFF, "CSM reads the sales notes"),
        ),
        ev(
            FINDING,
            "",
            "29 of the 41 accounts whose kick-off notes were incomplete in Salesforce opened a "
            "ticket repeating what they had told sales.",
            card(KICKOFF, "CSM reads the sales notes"),
        ),
        ev(
            DATA,
            "",
            "148 onboarding tickets quote “403 INSUFFICIENT_PERMISSION” from NetSuite; 80 % are "
            "solved by adding one permission to the integration role.",
            card(CONNECTS, "Needs a NetSuite admin"),
            card(CONNECTS, "Pre-kick-off checklist"),
        ),
        ev(
            QUOTE,
            "A-0233",
            "Which permissions does the integration role need? The error doesn't say.",
            card(CONNECTS, "Needs a NetSuite admin"),
        ),
        ev(
            QUOTE,
            "A-0302",
            "The Zendesk connector worked first time, thank you!",
            card(CONNECTS, "Connector setup wizard"),
        ),
        ev(
            DATA,
            "",
            "96 tickets about SSO from trial users; 71 % ask where to configure it.",
            card(TRIAL, "Can't find SSO"),
        ),
        ev(
            QUOTE,
            "A-0761",
            "Can you extend our trial? IT still hasn't approved the Salesforce app.",
            card(TRIAL, "Trial expires"),
        ),
        ev(
            DATA,
            "",
            "Security questionnaires sent to support: 64 in twelve months, closed after 11 days (median).",
            card(SECURITY, "Security questionnaires"),
        ),
        ev(
            DATA,
            "",
            "Cost to serve: about 4.2 tickets per mid-market account a month, at about $11 a ticket.",
            step(SUPPORT),
        ),
        ev(
            FINDING,
            "",
            "Accounts that shared a first dashboard within a week opened 40 % fewer tickets in "
            "their first quarter.",
            stage("Onboarding"),
        ),
        ev(
            DATA,
            "",
            "Chat is where 72 % of tickets start; 18 % start by email, 10 % through the CSM.",
            card(SUPPORT, "In-app chat"),
        ),
        ev(
            OBSERVATION,
            "",
            "The chat bot asks three triage questions before a person joins; one customer "
            "in five leaves the chat at the bot.",
            step(SUPPORT),
        ),
        ev(
            QUOTE,
            "A-0118",
            "Please just tell me when the data was last refreshed. I can't tell whether it's current.",
        ),
        ev(
            DATA,
            "",
            "Tickets that mention ‘board’, ‘CFO’ or ‘finance review’ are 2.3 times as likely to "
            "be marked urgent.",
            card(SUPPORT, "Worried"),
            card(SUPPORT, "If the numbers"),
        ),
        ev(
            OBSERVATION,
            "",
            "Detractors' NPS comments reach CSMs as tickets; 64 % got a follow-up within five days.",
            card(NPS, "Survey comments never", X),
        ),
        ev(
            QUOTE,
            "A-0540",
            "Can you send us usage numbers for our QBR? Our CFO wants to see who actually uses it.",
            card(QBR, "No built-in view"),
        ),
        ev(
            DATA,
            "",
            "130 requests for ROI or usage reports in twelve months, most in the six weeks before a renewal.",
            card(QBR, "No built-in view"),
            step(QBR),
        ),
        ev(
            DATA,
            "",
            "Accounts with a data-discrepancy ticket in the quarter before renewal churned at "
            "14 %, against 6 % overall.",
            stage("Advocacy/Retention"),
        ),
        ev(
            DATA,
            "",
            "57 pre-sales chats asked whether NetSuite is supported, because the integrations "
            "page did not list it.",
            card(REVIEWS, "Integration list"),
        ),
    ],
}

STUDIES = (INTERVIEWS, SURVEY, TICKETS)

# Tags given to evidence whose text mentions the word (case ignored).
TOPICS = {
    "netsuite": "netsuite", "sso": "sso", "okta": "sso", "seat": "pricing", "pricing": "pricing",
    "security": "security", "soc 2": "security", "trial": "trial", "roi": "roi", "qbr": "roi",
    "nps": "nps", "support": "support", "ticket": "support", "chat": "support", "kick-off": "onboarding",
    "report": "reporting", "dashboard": "reporting",
}  # fmt: skip


def topics(text: str) -> list[str]:
    """The demo tags of an evidence text, by the words it mentions (TOPICS)."""
    lowered = text.lower()
    return sorted({tag for word, tag in TOPICS.items() if word in lowered})


def _dates(spec: dict, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    started, ended = spec["months"]
    return months_before(today, started), months_before(today, ended)


def _captured(spec: dict, index: int, item: Item, today: datetime.date) -> datetime.date:
    """When an item was captured: quotes and observations spread over the study's dates (an interview
    participant's on the day of their interview), data points and findings at its end."""
    start, end = _dates(spec, today)
    if item.kind in (DATA, FINDING):
        return end
    span = (end - start).days
    if spec is INTERVIEWS and item.participant:
        number = int(item.participant[1:])
        return start + datetime.timedelta(days=span * (number - 1) // 23)
    return start + datetime.timedelta(days=span * index // max(len(spec["evidence"]) - 1, 1))


def _lifecycle_targets(journey) -> dict:
    """{("card", step title, text) | ("step", title) | ("stage", title): id} of the lifecycle map."""
    out = {}
    for pk, step_title, text in Card.objects.filter(journey=journey).values_list("pk", "step__title", "text"):
        out[("card", step_title, text)] = pk
    for pk, title in journey.steps.values_list("pk", "title"):
        out[("step", title)] = pk
    for pk, title in journey.stages.values_list("pk", "title"):
        out[("stage", title)] = pk
    return out


def _target_id(targets: dict, target: Target):
    if target.kind != "card":
        return targets.get((target.kind, target.title))
    for key, pk in targets.items():
        if key[0] == "card" and key[1] == target.title and key[2].startswith(target.starts):
            return pk
    return None


@transaction.atomic
def _build(*, workspace, journey, specs) -> tuple[int, int, int]:
    """Create these studies with their evidence and links; returns (evidence, links, links skipped because
    the map no longer has their element)."""
    users = {u.username: u for u in get_user_model().objects.filter(memberships__workspace=workspace)}
    today = timezone.localdate()
    targets = _lifecycle_targets(journey)
    made = linked = skipped = 0
    for spec in specs:
        by = users.get(spec["owner"]) or journey.owner
        start, end = _dates(spec, today)
        study = services.study_create(
            workspace_id=workspace.pk, by=by, title=spec["title"], method=spec["method"],
            started_on=start, ended_on=end, participants=spec["participants"], segment=spec["segment"],
            summary=spec["summary"], external_link=spec["external_link"], tags=spec["tags"],
        )  # fmt: skip
        items = spec["evidence"]
        result = services.evidence_bulk_create(
            workspace_id=workspace.pk,
            by=by,
            items=[
                {
                    "study": study.pk,
                    "kind": item.kind,
                    "text": item.text,
                    "participant": item.participant,
                    "captured_on": _captured(spec, index, item, today),
                    "tags": topics(item.text),
                    "external_id": f"demo-{index + 1:03d}",
                }  # fmt: skip
                for index, item in enumerate(items)
            ],
        )
        made += len(result.created)
        for item, evidence in zip(items, result.created, strict=True):
            for target in item.links:
                pk = _target_id(targets, target)
                if pk is None:
                    skipped += 1
                    continue
                services.link_create(
                    evidence_id=evidence.pk, by=by, stance=target.stance, **{target.kind: pk}
                )
                linked += 1
    return made, linked, skipped


def load(*, workspace, journeys: dict) -> str:
    """The demo's studies, evidence and links on the lifecycle map (see the module docstring): only the
    studies the workspace lacks (by title). Returns one line saying what it made."""
    journey = journeys.get(journeys_demo.LIFECYCLE["title"])
    if journey is None:
        return "Research: the demo's lifecycle map is gone, so no studies were added."
    titles = [spec["title"] for spec in STUDIES]
    there = dict(
        Study.objects.filter(workspace=workspace, title__in=titles)
        .values_list("title")
        .annotate(n=Count("evidence"))
    )
    missing = [spec for spec in STUDIES if spec["title"] not in there]
    if not missing:
        return (
            f"Research: the {len(there)} demo studies are there already ({sum(there.values())} evidence "
            "items): nothing changed."
        )
    made, linked, skipped = _build(workspace=workspace, journey=journey, specs=missing)
    levels = map_confidence(journey_id=journey.pk).card_levels
    shown = ", ".join(f"{levels[level]} {Level(level).label.lower()}" for level in Level.values)
    line = (
        f"Research: {len(missing)} studies, {made} evidence items, {linked} links to “{journey.title}” "
        f"(its cards: {shown})."
    )
    if skipped:
        line += f" {skipped} links skipped: the map no longer has their card, step or stage."
    return line
