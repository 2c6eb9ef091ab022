"""Shared helpers, one module per job. No models live here."""
