"""Transports: HTTP sessions, JSON lines over TCP/TLS, and secret redaction."""
