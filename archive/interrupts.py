"""Ctrl-C for the command line: one interrupt stops the run, exactly once, whatever is running.

Python's own SIGINT handler raises KeyboardInterrupt wherever the main thread happens to be. When
that is inside a finaliser (a connection's ``__del__``, a garbage-collector callback) the
exception is printed as "ignored" and lost, and a build on a cluster, which closes many HTTP
connections, then runs to its end as if nothing happened. A second Ctrl-C that lands while the
interrupted build removes its unpublished generation could also stop that cleanup half-way.

``catch()`` installs a handler that remembers the interrupt and raises KeyboardInterrupt the first
time only; further interrupts are remembered, not raised, so the cleanup finishes. ``check()``,
called by the build's progress reports, raises KeyboardInterrupt again if the first one was lost,
before anything is published.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_interrupted = threading.Event()
_raised_again = threading.Event()


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    if _interrupted.is_set():
        return  # the run is stopping already: let its cleanup finish
    _interrupted.set()
    raise KeyboardInterrupt


def catch() -> None:
    """From now on, Ctrl-C (SIGINT) stops the run once (see the module's docstring). Only in the
    main thread (signal handlers can be set only there); elsewhere Python's default stays."""
    if threading.current_thread() is threading.main_thread():
        _interrupted.clear()
        _raised_again.clear()
        signal.signal(signal.SIGINT, _on_interrupt)


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt came and was swallowed on its way (once: a
    progress report from the cleanup that follows is not stopped again)."""
    if _interrupted.is_set() and not _raised_again.is_set():
        _raised_again.set()
        raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether an interrupt came since ``catch()``."""
    return _interrupted.is_set()
