"""The command line's argument parser: argparse, its own words in the language of messages (private).

argparse writes its headings, ``usage:`` and its errors in English; :class:`Parser` shows them
in the language of messages (:mod:`shuangsuiji._i18n`): the headings and ``usage:`` translated
directly, the errors (which argparse makes with ``%``) through :func:`shuangsuiji._i18n.shown`
and the templates of :data:`ARGPARSE_MESSAGES`. Light: imported by ``--help``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from ._i18n import N_, _, shown

__all__ = ["ARGPARSE_MESSAGES", "Parser", "script_options"]


#: argparse's own error messages, as it makes them (``%s`` written ``{...}``): shown in the language of messages.
ARGPARSE_MESSAGES = (
    N_("the following arguments are required: {arguments}"),
    N_("unrecognized arguments: {arguments}"),
    N_("one of the arguments {arguments} is required"),
    N_("argument {argument}: invalid choice: {value} (choose from {choices})"),
    N_("argument {argument}: invalid {kind} value: {value}"),
    N_("argument {argument}: expected one argument"),
    N_("argument {argument}: expected at least one argument"),
    N_("argument {argument}: not allowed with argument {other}"),
    N_("argument {argument}: ignored explicit argument {value}"),
    N_("ambiguous option: {option} could match {matches}"),
)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, its ``usage:`` in the language of messages."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse's parser, its own words (``options``, ``-h``, ``usage:``, its errors) in the language of messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"formatter_class": HelpFormatter, **kwargs, "add_help": False})
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        help_text = _("show this help message and exit")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=help_text)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the error (argparse's words translated), and exit with status 2."""
        self.print_usage(sys.stderr)
        self.exit(2, _("{prog}: error: {message}\n").format(prog=self.prog, message=shown(message)))


def script_options(p: argparse.ArgumentParser) -> None:
    """``--quiet`` and ``--json``, before the command or after it (absent unless given, so neither hides the other)."""
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help=_("print nothing but warnings and errors; no progress bar (the exit status says how it went)"),
    )
    p.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help=_("print one JSON object for scripts instead of the lines for people (docs/cli.md)"),
    )
