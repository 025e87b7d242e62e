"""The ``assay`` command: thin shells over the Python API, one module per command.

Exit codes
----------
0
    Success.
1
    A user or data error (a malformed file, a failed import, an unknown run).
2
    Usage error (unknown option, missing argument).
130
    Interrupted (Ctrl-C); work already committed to the store is kept.
"""

from assay.cli._app import app, main

__all__ = ["app", "main"]
