"""The cycle collector is off while any scan holds a pause, and on again after the last."""

from __future__ import annotations

import gc
import threading

from smallwins.daemon.threads import CollectorPause


def test_pauses_on_several_threads_end_with_the_last() -> None:
    assert gc.isenabled()
    first, second = CollectorPause(), CollectorPause()
    entered, leave = threading.Event(), threading.Event()

    def scan() -> None:
        with second:
            entered.set()
            leave.wait(5)

    thread = threading.Thread(target=scan)
    with first:
        thread.start()
        entered.wait(5)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other scan still runs
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_released_pause_cannot_hold_the_collector_off() -> None:
    # A scan the daemon gave up on releases its pause, before or while its thread holds it.
    given_up_early = CollectorPause()
    given_up_early.release()
    with given_up_early:
        assert gc.isenabled()
    hung = CollectorPause()
    hung.__enter__()
    assert not gc.isenabled()
    hung.release()
    assert gc.isenabled()
    hung.__exit__(None, None, None)  # the thread returns at last: nothing changes
    assert gc.isenabled()
