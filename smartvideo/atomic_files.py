"""Nothing half-made is ever served: every output is written beside its target and renamed."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`: renamed onto it when the block succeeds, removed otherwise.

    The name is unique per process and thread, so two writers of one target never share it;
    whoever renames last wins with a whole file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to `path` all at once."""
    with atomic_output(path) as partial:
        partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
