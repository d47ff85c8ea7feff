"""Helpers for tests and the laptop demo (tiny models built locally, no downloads)."""
