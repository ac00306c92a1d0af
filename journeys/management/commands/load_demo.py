"""`manage.py load_demo`: the Northwind Analytics demo workspace, and the logins to try it with."""

from django.core.management.base import BaseCommand
from django.db.models import Count

from core import demo as demo_registry
from journeys import demo
from journeys.models import Card


class Command(BaseCommand):
    help = (
        "Load the demo workspace “Northwind Analytics” (people, teams, a mid-market lifecycle with "
        "sub-journeys, a future state and a confidential journey), then what the apps above journeys add "
        "to it (core/demo.py). Running it again changes nothing and prints the logins. The demo passwords "
        "are public: never load the demo on a shared instance."
    )

    def handle(self, *args, **options):
        result = demo.demo_load()
        journeys = result.workspace.journeys.aggregate(n=Count("pk"))["n"]
        cards = Card.objects.filter(journey__workspace=result.workspace).count()
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the demo workspace “{result.workspace.name}”: "
                    f"{journeys} journeys, {cards} cards."
                )
            )
        else:
            self.stdout.write(
                f"The demo workspace “{result.workspace.name}” already exists ({journeys} journeys, "
                f"{cards} cards): nothing changed."
            )
        # The apps above journeys add their part (core/demo.py): one line each.
        loaders = demo_registry.loaders()
        if loaders:
            by_title = {journey.title: journey for journey in result.workspace.journeys.all()}
            for _name, loader in loaders:
                self.stdout.write(loader(workspace=result.workspace, journeys=by_title))
        rows = [("username", "password", "role")] + [
            (spec.username, password or "(kept: the account has its own password)", spec.role)
            for spec, password in result.users
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("\nSign in with:\n")
        for index, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
        self.stdout.write(
            self.style.WARNING(
                "\nThese demo passwords are public: do not load the demo on a shared instance."
            )
        )
