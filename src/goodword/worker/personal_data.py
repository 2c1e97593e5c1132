"""Jobs waiting or parked in the queue may carry a person's data in their payload or last
error (registered with goodword.privacy). Only pending work lives here, so the table is small."""

from __future__ import annotations

from goodword.privacy.registry import Subject, register, scrub_rows
from goodword.worker.models import Job


def _erase(subject: Subject) -> dict[str, int]:
    jobs = Job.objects.filter(site_id=subject.site_id).filter(
        subject.contains_any("payload", "last_error")
    )
    return {"jobs": scrub_rows(jobs, ["payload", "last_error"], subject.scrubber)}


register("worker", erase=_erase)
