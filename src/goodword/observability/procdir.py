"""The directory where server and worker processes of one machine write their metrics.

It must be in the environment before prometheus_client is first imported (the library picks
its storage then), so this module imports nothing of it: `goodword serve` and `goodword run`
call `prepare` before Django starts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(var_dir: Path) -> Path:
    """A fresh directory for the metric files of the processes about to start, set in the
    environment they inherit. A directory the operator named in PROMETHEUS_MULTIPROC_DIR is
    used as it is and not emptied."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = var_dir / "metrics"
    # Files of processes that ran before this start would be added to the new ones.
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path
