"""Option spellings: ``--model_dir`` and ``--model-dir``, ``--flag=True``, errors as typed.

Commands declare plain typer options; :func:`normalize_args` rewrites what the user typed to
the declared spelling before click parses it, :func:`docs_spelling` gives the spelling the
docs and ``--help`` show, and :func:`typed_spellings` names options in an error as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from typer.core import TyperOption

from repair.cli._typer_private import Parameter, UsageError

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})


def canonical_option(name: str) -> str:
    """``--model_dir`` and ``--model-dir`` both become ``--model-dir``."""
    return "--" + name[2:].replace("_", "-")


def docs_spelling(name: str) -> str:
    """``--model-dir`` becomes ``--model_dir``, the spelling the docs use; ``-h`` stays."""
    return "--" + name[2:].replace("-", "_") if name.startswith("--") else name


def typed_spellings(message: str, args: Sequence[str]) -> str:
    """``message`` with each option of ``args`` spelled as typed there (``--model-dir`` or
    ``--model_dir``), so an error names what the user wrote."""
    for arg in args:
        if arg == "--":
            break
        name = arg.partition("=")[0]
        if not name.startswith("--") or len(name) < 3:
            continue
        spelling = "[-_]".join(re.escape(part) for part in re.split("[-_]", name[2:]))
        message = re.sub(rf"(?<![\w-])--{spelling}(?![\w-])", lambda _, n=name: n, message)
    return message


def normalize_args(params: Sequence[Parameter], args: Sequence[str]) -> list[str]:
    """Rewrite option spellings in ``args`` to the ones ``params`` declare.

    ``--a_b=v`` becomes ``--a-b=v``; for a boolean flag, ``--flag=True`` becomes ``--flag`` and
    ``--flag=False`` becomes ``--no-flag``. Arguments after ``--`` are left alone.
    """
    spelled: dict[str, str] = {}
    flags: dict[str, tuple[str, str | None]] = {}
    for param in params:
        if not isinstance(param, TyperOption):
            continue
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                spelled[canonical_option(opt)] = opt
        if param.is_flag:
            off = param.secondary_opts[0] if param.secondary_opts else None
            for opt in param.opts:
                flags[canonical_option(opt)] = (opt, off)
    rewritten: list[str] = []
    for position, arg in enumerate(args):
        if arg == "--":
            rewritten.extend(args[position:])
            break
        if not arg.startswith("--"):
            rewritten.append(arg)
            continue
        name, has_value, value = arg.partition("=")
        key = canonical_option(name)
        if key in flags and has_value:
            on, off = flags[key]
            if value.lower() in TRUE_WORDS:
                rewritten.append(on)
            elif value.lower() in FALSE_WORDS:
                if off is not None:
                    rewritten.append(off)
            else:
                raise UsageError(f"{name} takes True or False; got {value!r}")
            continue
        if key in spelled:
            arg = spelled[key] + (f"={value}" if has_value else "")
        rewritten.append(arg)
    return rewritten
