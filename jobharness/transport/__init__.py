"""Transports: HTTP and JSON lines over TCP/TLS, each request ending by its deadline.

One retry policy (:mod:`.retry`) decides for all of them when a request is sent again.
"""
