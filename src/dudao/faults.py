"""Fault-injection checkpoints (故障演练), for the tests that kill a server or worker at a known point.

``checkpoint("name")`` does nothing unless the process was started with ``DUDAO_FAULT=name``; then it writes the
file named by ``DUDAO_FAULT_FILE`` (so the test knows the process got there) and sleeps, waiting to be killed. The
points sit *inside* open transactions — after the writes, before the commit — which is the worst moment to die and
the one the "no partial data" promise is about.
"""

import os
import time
from pathlib import Path


def checkpoint(name: str) -> None:
    if os.environ.get("DUDAO_FAULT") != name:
        return
    marker = os.environ.get("DUDAO_FAULT_FILE")
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    time.sleep(float(os.environ.get("DUDAO_FAULT_SLEEP", "60")))
