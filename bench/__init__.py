"""Benchmarks: each prints JSON with the raw baselines measured in the same run."""
