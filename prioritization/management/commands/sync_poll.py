"""`manage.py sync_poll`: catch up on Jira/Asana webhooks that never arrived (prioritization/sync.py)."""

from django.core.management.base import BaseCommand, CommandError

from prioritization import sync
from prioritization.models import Integration


class Command(BaseCommand):
    help = (
        "Ask Jira and Asana about every issue an initiative links, for each active integration with an API "
        "address and token (or only --integration ID), and apply what changed after what the links have "
        "seen. Running it again changes nothing. Beat runs the same every 30 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--integration", type=int, help="Only this integration (its id).")

    def handle(self, *args, **options):
        if options["integration"] is not None:
            if not Integration.objects.filter(sync.pollable(), pk=options["integration"]).exists():
                raise CommandError(
                    f"No active integration {options['integration']} with an API address and token."
                )
            results = [sync.poll(integration_id=options["integration"])]
        else:
            results = sync.poll_all()
        failed = 0
        for polled in results:
            name = Integration.objects.filter(pk=polled.integration_id).values_list("name", flat=True).first()
            counts = {outcome: polled.outcomes.count(outcome) for outcome in sorted(set(polled.outcomes))}
            summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items()) or "nothing new"
            if polled.error:
                failed += 1
                self.stderr.write(f"{name}: stopped after asking about {polled.asked} issues: {polled.error}")
            else:
                self.stdout.write(f"{name}: asked about {polled.asked} issues: {summary}.")
        if not results:
            self.stdout.write("No integration to poll (active, with an API address and a token).")
        if failed:
            raise CommandError(f"{failed} integration(s) could not be polled.")
