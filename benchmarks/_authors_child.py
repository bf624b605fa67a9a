"""Run the authors' compressor once; executed by the authors' own Python (not by the project's).

Usage (the parent, :mod:`_authors`, does this)::

    <authors python> _authors_child.py <directory of compressor.py> <work dir> <k> <size>

Reads ``<work dir>/X.npy`` (shape (d, m)), runs ``Compressor(X, random_state=0).compress(k, dstop=size)``
and writes ``c.npy`` (the kept points' weights), ``W.npy`` (the kept points, rows of ``X``) and
``time.json`` (wall and CPU seconds of the ``compress`` call alone).  Only numpy and the standard library
are used here, so it runs in any environment that can run the authors' code.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np


def main(source: str, work: str, k: int, size: int) -> None:
    sys.path.insert(0, source)
    from compressor import Compressor  # the authors' module, loaded from their checkout at run time

    folder = Path(work)
    X = np.load(folder / "X.npy")
    comp = Compressor(X, random_state=0)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    c, W = comp.compress(k, dstop=size, print_progress=False)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    np.save(folder / "c.npy", c)
    np.save(folder / "W.npy", W)
    (folder / "time.json").write_text(json.dumps({"wall_seconds": wall, "cpu_seconds": cpu}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
