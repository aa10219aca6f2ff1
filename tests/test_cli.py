import os
import shutil
import subprocess
import sys
from pathlib import Path

from dudao.cli import main


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("dudao")
    assert script.exists() or shutil.which("dudao")


def test_dudao_check_runs(capsys):
    main(["check"])
    assert "no issues" in capsys.readouterr().out


def test_dudao_lists_demo_verb():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="dudao.settings")
    out = subprocess.run([sys.executable, "-m", "dudao.cli", "help", "demo"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "Shanghai demo" in out.stdout
