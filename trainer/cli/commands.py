"""The commands of `trainer`, each imported only when it runs."""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "validate": ("trainer.cli.validate", "validate"),
    "plan": ("trainer.cli.plan", "plan"),
    "reconcile": ("trainer.cli.reconcile", "reconcile"),
    "apply": ("trainer.cli.reconcile", "reconcile"),
    "status": ("trainer.cli.status", "status"),
    "eval": ("trainer.cli.eval", "eval_command"),
    "promote": ("trainer.cli.promote", "promote"),
    "demote": ("trainer.cli.demote", "demote"),
    "emulator": ("trainer.cli.emulator", "emulator"),
    "demo": ("trainer.cli.demo", "demo"),
    "init": ("trainer.cli.init", "init"),
    "judge": ("trainer.cli.judge", "judge"),
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it), so
    `trainer status` does not pay for the openai SDK or the emulator's web stack."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command
