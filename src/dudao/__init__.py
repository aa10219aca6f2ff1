"""Dudao 督导 — the administrative cycle of Shanghai education governance in one Django project."""
