# The mention autocomplete (journeys.services.comments.mention_candidates) matches names accent-insensitively
# with PostgreSQL's unaccent, a trusted extension: the database owner may create it.
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("journeys", "0003_text_rules")]

    operations = [UnaccentExtension()]
