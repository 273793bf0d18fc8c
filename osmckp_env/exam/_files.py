"""One reader for every input file a user names (specs, suite files, profiles, configs, results):
its errors name the file and say what to give instead, never a bare codec or ``[Errno 2]`` line."""

from __future__ import annotations

from pathlib import Path

import yaml


def read_input_text(path: str | Path, what: str, hint: str) -> str:
    """The UTF-8 text of ``path``, a ``what`` (e.g. "suite file"); ``hint`` says what to do.

    Raises ``FileNotFoundError`` (no such file) or ``ValueError`` (a folder, unreadable, not UTF-8
    text: e.g. a binary file), each naming the file."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist; {hint}") from None
    except IsADirectoryError:
        raise ValueError(f"{what} {path} is a folder, not a file; {hint}") from None
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path}: not a readable {what}: not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start}; "
            f"a binary file?); {hint}"
        ) from None
    except OSError as e:
        raise ValueError(f"{path}: cannot read this {what} ({e.strerror or e}); {hint}") from None


def read_yaml_mapping(path: str | Path, what: str, hint: str) -> dict:
    """A YAML file that must hold a mapping (a config, a reported-numbers file), read with
    ``read_input_text``; an empty file is ``{}``. Errors name the file and end with ``hint``."""
    try:
        data = yaml.safe_load(read_input_text(path, what, hint)) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not valid YAML ({e}); {hint}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a {what} must be a mapping; {hint}")
    return data
