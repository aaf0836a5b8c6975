"""Plumbing every service shares: bus, database, settings, logging, metrics, health.

No domain logic lives here.
"""
