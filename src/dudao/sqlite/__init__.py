"""Django's SQLite backend with write transactions queued fairly within each process (see :mod:`.base`)."""
