"""``scan --engine duckdb``: CSV (plain or compressed) and Parquet classified inside embedded
DuckDB by the SQL of ``b12check sql``, with the same records, order and bytes as the Python
path.

``plan`` decides, from the Python readers' own look at a file's head, whether the engine can
honour a run exactly; ``query`` builds the SQL that classifies each distinct observation and
``lines`` the COPY that writes each record's line, checking that the rows come in file order;
``near`` lets the core settle the values near a span it warns outside of; ``marks`` marks
the rows the SQL cannot render exactly, which the Python core redoes; ``run`` runs it all and
merges both in file order. DuckDB is imported only here, and only when the engine runs.
"""

import importlib
from typing import Any

MISSING = "--engine duckdb needs DuckDB: pip install 'b12check[duckdb]'"


class EngineRefused(Exception):
    """The engine cannot honour this run exactly; ``str(exc)`` says why (one line)."""


def duckdb_module() -> Any:
    """DuckDB's compiled module: ``connect`` and the exception classes. From duckdb 2.0 it is
    the top-level ``_duckdb``, and importing it alone skips the package's own start-up (its
    version lookup through importlib.metadata, the relation and expression helpers): 0.06 s
    of every engine run (0.13 s on its own), which needs nothing else. Any other release:
    the package.
    ImportError when DuckDB is not installed."""
    try:
        compiled = importlib.import_module("_duckdb")
    except ImportError:
        compiled = None
    if compiled is not None and all(hasattr(compiled, name) for name in _NEEDED):
        return compiled
    return importlib.import_module("duckdb")


_NEEDED = ("connect", "Error", "BinderException", "ParserException", "CatalogException")
