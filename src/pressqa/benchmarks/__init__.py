"""Benchmarks and load tests: figures beside their baselines; never imported by the code that answers."""
