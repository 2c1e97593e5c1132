"""Reading Prometheus text back: the value of one series, by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from goodword.observability.metrics import exposition


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` whose labels include `labels`, None when absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def scrape(name: str, **labels: str) -> float:
    """This process's current value of a counter-like sample (0 when not yet seen)."""
    return sample(exposition(database=False).decode(), name, **labels) or 0.0
