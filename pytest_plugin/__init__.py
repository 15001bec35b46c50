"""The jobharness pytest plugin: options, fixtures, markers and report hooks."""
