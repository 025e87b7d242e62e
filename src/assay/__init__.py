"""assay: evaluation science for machine-learning models."""

from assay._version import __version__
from assay.errors import AssayError
from assay.store import Store

__all__ = ["AssayError", "Store", "__version__"]
