"""The backends, one package each: client, job, errors, settings, target and protocol."""
