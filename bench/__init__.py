"""Benchmarks: `newsdesk bench` measures ingest speed, re-ingest cost, search latency,
memory and disk at several corpus sizes. Numbers live here, never in timed tests."""
