"""Kefu (客服): self-hosted, AI-first customer support for cryptocurrency exchanges."""

__version__ = "0.1.0"
