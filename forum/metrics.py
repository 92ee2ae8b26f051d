"""Prometheus metrics for operators (/metrics, off by default)."""
