"""Evaluation: question sets, reports, benchmarks and the load test."""
