"""The results store: DuckDB file, Parquet datasets, schema migrations."""

from assay.store._migrations import SCHEMA_VERSION
from assay.store._parquet import export_parquet, import_parquet, read_dataset_table
from assay.store._store import DEFAULT_STORE, Store, WriteSummary

__all__ = [
    "DEFAULT_STORE",
    "SCHEMA_VERSION",
    "Store",
    "WriteSummary",
    "export_parquet",
    "import_parquet",
    "read_dataset_table",
]
