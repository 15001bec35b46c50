"""toyqueue: an example jobharness backend, a job queue that runs commands as local processes.

Its parts, one module each, as a backend of jobharness itself has them:
``server`` (the embedded server, ``jobharness serve toyqueue``), ``settings``
and ``target`` (where the server is), ``client`` and ``job`` (the client and
its :class:`~jobharness.jobs.Job` type), ``reap`` (cancel what a killed run
left), ``robot`` (the Robot library), ``fixtures`` (the pytest fixtures) and
``plugin`` (the hooks that tell jobharness about all of them).
"""
