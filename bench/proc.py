"""Running a benchmark step in a fresh interpreter, so its peak memory and imports are its own."""
from __future__ import annotations

import multiprocessing as mp


def _child(fn, args, out) -> None:
    out.put(fn(*args))


def in_child(fn, *args):
    """`fn(*args)` run in a spawned process; returns its (picklable) result."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result
