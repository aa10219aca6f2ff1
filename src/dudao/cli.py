"""The ``dudao`` console script.

Why a wrapper rather than ``manage.py``: operators run ``dudao demo`` or ``dudao migrate`` from any directory after
``pip install``; the wrapper only fixes the settings module and hands over to Django's management machinery, so every
management command (ours and Django's) is a ``dudao`` verb.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["fonts"]:  # set-up step: needs no settings, so it runs before Django is configured
        from dudao.fonts import main as fonts

        sys.exit(fonts(args[1:]))
    if args[:1] == ["serve"]:  # friendly alias
        args = ["runserver", *args[1:]]
    if args[:1] != ["runserver"]:
        # batch work (workers, imports, migrations) may queue longer for SQLite's write lock than a page request,
        # which answers 503 after a few seconds instead (settings.database_from_url)
        os.environ.setdefault("DUDAO_SQLITE_TIMEOUT", "30")
    execute_from_command_line(["dudao", *args])


if __name__ == "__main__":  # pragma: no cover
    main()
