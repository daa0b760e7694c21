"""``b12check sql``: the SQL that classifies a table of observations. Thin: the script is
written by ``b12check.sqlgen`` (imported only when the command runs)."""

import click

from b12check.cli.options import ranges_option
from b12check.core.vocab import UNIT_SYSTEMS

DIALECT_NAMES = ("duckdb", "spark", "postgres", "sqlite")

SQL_EPILOG = """\b
Examples:
  b12check sql --dialect duckdb --table labs -o classify.sql
  duckdb cohort.db -c "CREATE TABLE labs AS SELECT * FROM read_csv('labs.csv', all_varchar=true)" \\
      -c ".read classify.sql" -c "SELECT flag, count(*) FROM labs_checked GROUP BY flag"
  b12check sql --dialect spark --table labs --guideline endocrine-society-2011 > classify.sql

The table needs the columns test, result, unit, sex and age (NULL where unknown); the view
TABLE_checked keeps them (and each --keep column) and adds status, analyte, value, comparator,
canonical_unit, flag, band_label, interpretation, band_low, band_high, band_source, guideline
and reason. Rows the SQL cannot read exactly are errors that say so: check those with scan.
"""


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=SQL_EPILOG,
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECT_NAMES),
    required=True,
    help="The engine the SQL is for (Spark SQL 3.4+, PostgreSQL 16+, SQLite 3.35+).",
)
@click.option(
    "--table",
    default="observations",
    show_default=True,
    help="The table (or view) of observations to classify; the view is TABLE_checked.",
)
@click.option(
    "--keep",
    multiple=True,
    metavar="COLUMN",
    help="Another column of the table to carry into the view, e.g. a patient id (repeatable).",
)
@click.option(
    "--units",
    "units_system",
    type=click.Choice(UNIT_SYSTEMS),
    default=None,
    help="What a value without a unit means where a test's units differ (as for scan).",
)
@ranges_option
@click.option(
    "--guideline",
    multiple=True,
    metavar="[ANALYTE=]NAME",
    help="Classify against another guideline's bands, as for scan (repeatable).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    default="-",
    help="Write the SQL to this file instead of stdout (replaced only when done).",
)
def sql(
    dialect: str,
    table: str,
    keep: tuple[str, ...],
    units_system: str | None,
    ranges_files: tuple[str, ...],
    guideline: tuple[str, ...],
    output: str,
) -> None:
    """Write SQL that classifies a table of lab values with the ranges in effect."""
    from b12check.cli.commands import open_output
    from b12check.cli.option_values import parse_guidelines
    from b12check.core.refdata import load_reference
    from b12check.core.settings import Settings
    from b12check.sqlgen import generate

    reference = load_reference(tuple(ranges_files))
    chosen = parse_guidelines(guideline, reference)
    settings = Settings(reference, units_system=units_system, guidelines=chosen)
    script = generate(settings, dialect, table, keep)
    with open_output(output, "json", tuple(ranges_files)) as out:
        out.write(script)
