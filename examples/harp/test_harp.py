"""harp from pytest: ``harp_job`` submits calls through the dispatcher, tracked by the test;
``harpd`` calls the daemon directly. Both embedded unless configured."""


def test_adds(harp_job):
    call = harp_job("add", 2, 40)
    assert call.get()["sum"] == 42


def test_queued(harp_job):
    call = harp_job.using(queue={"svc": "example"}, concurrency=1, timeout=30)("sleep", 0.2)
    assert call.wait().ok


def test_direct(harpd):
    assert harpd.ping() == "pong"
