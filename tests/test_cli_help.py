"""Every command and option says what it is for, and a flag reads as a flag."""

from __future__ import annotations

import subprocess

import typer
from helpers import BOZ

from boz.cli import app


def _commands(group, path=()):  # type: ignore[no-untyped-def]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_and_option_has_help() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        if not command.help:
            missing.append(" ".join(path))
        for param in command.params:
            if param.param_type_name != "argument" and not getattr(param, "help", None):
                missing.append(f"{' '.join(path)} {param.opts[0]}")
            if param.param_type_name == "argument" and not getattr(param, "help", None):
                missing.append(f"{' '.join(path)} {param.name}")
    assert missing == []


def test_flags_show_no_value() -> None:
    shown = subprocess.run([*BOZ, "rip", "--help"], capture_output=True, text=True,
                           env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"}).stdout  # fmt: skip
    assert "  -y, --yes   " in shown and "<bool>" not in shown
    assert "--season <int range>" in shown
