"""Embedded reference servers, one per backend: the default target of the adapters."""
