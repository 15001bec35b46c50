"""What every jobharness Robot library is built from.

* :mod:`.library`: :class:`~.library.ComponentLibrary`, a library composed of
  keyword components, and the listener that cleans up after tests and suites;
* :mod:`.context`: the state the components of one library share (target,
  connections of several kinds, cleanup scopes, the job log);
* :mod:`.jobs` and :mod:`.connections`: the components every backend shares
  (waits, state assertions, cleanup, connection switching), written once;
* :mod:`.conversions` and :mod:`.logging`: argument conversions and logging.
"""
