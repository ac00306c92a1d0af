"""Full-text search of evidence: a text search configuration that ignores accents, a stored tsvector of
each item's text that PostgreSQL keeps up to date, and a GIN index on it (measured when it was added: a
library page over 20,000 items went from ~1.7 s, the text parsed on every row, to ~25 ms).

to_tsvector(regconfig, text) is IMMUTABLE, so it may fill a generated column; unaccent() alone is not,
which is why the accents come off inside the configuration (the unaccent dictionary, from the extension
journeys 0004 installs) rather than around the text."""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

CONFIG_SQL = """
CREATE TEXT SEARCH CONFIGURATION research_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION research_search
  ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_part, hword_asciipart,
                    hword_numpart
  WITH unaccent, simple;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0004_mentions_unaccent"),
        ("research", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(CONFIG_SQL, "DROP TEXT SEARCH CONFIGURATION research_search;"),
        migrations.AddField(
            model_name="evidence",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector("text", config="research_search"),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=GinIndex(fields=["search_vector"], name="evidence_search_gin"),
        ),
    ]
