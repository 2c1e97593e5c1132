"""What an operator sees from outside: Prometheus metrics, structured logs, `goodword status`."""
