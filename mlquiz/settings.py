"""Settings: a small TOML file (``mlquiz where`` and ``mlquiz config`` show where), every key optional.

    desired_retention = 0.9      # review when FSRS predicts recall has fallen to this
    learning_steps = ["10m"]     # a new card's steps before it graduates to days
    relearning_steps = ["10m"]   # a forgotten card's steps before it goes back to days
    session_length = 10          # questions per session when -n is not given
    language = "zh"              # questions and interface in this language (default: from the locale)

docs/settings.md explains the choices. A bad file is a one-line error naming the file and key.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from mlquiz.errors import MlquizError
from mlquiz.i18n import _

# A quiz is not Anki: a session is a few minutes once or twice a day, not a stream of cards.
# FSRS's default steps (1 min, 10 min) bring every right answer back ten minutes later, so a second
# session the same hour repeats it. One 10-minute step keeps a wrong (or hinted) answer due by the
# next session, and lets a right one graduate at once to FSRS's first interval (2 days).
DEFAULT_LEARNING_STEPS = ("10m",)
DEFAULT_RELEARNING_STEPS = ("10m",)
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)\Z")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Settings:
    desired_retention: float = 0.9
    learning_steps: tuple[str, ...] = DEFAULT_LEARNING_STEPS
    relearning_steps: tuple[str, ...] = DEFAULT_RELEARNING_STEPS
    session_length: int = 10
    language: str | None = None  # None: --lang, MLQUIZ_LANG or the locale decides (mlquiz.i18n)
    source: str | None = field(default=None, compare=False)  # the file read, if any

    def steps(self, name: str) -> tuple[timedelta, ...]:
        return tuple(parse_duration(text) for text in getattr(self, name))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["learning_steps"] = list(self.learning_steps)
        data["relearning_steps"] = list(self.relearning_steps)
        return data


KEYS = ("desired_retention", "learning_steps", "relearning_steps", "session_length", "language")


def parse_duration(text: str) -> timedelta:
    match = DURATION.fullmatch(str(text).strip())
    if not match:
        raise ValueError(_("{text} is not a duration; write it like 10m, 1h or 1d").format(text=repr(text)))
    return timedelta(seconds=float(match.group(1)) * UNIT_SECONDS[match.group(2)])


def load(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default: the config file); defaults where the file or a key is absent."""
    import tomllib

    from mlquiz.paths import config_path

    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return Settings()
    except OSError as exc:
        import errno

        message = (_("{path}: the settings file is a symbolic link loop; fix or remove it") if exc.errno == errno.ELOOP
                   else _("{path}: the settings file cannot be read ({reason}); fix or remove it"))
        raise MlquizError(message.format(path=path, reason=exc.strerror)) from None
    except UnicodeDecodeError:
        raise MlquizError(_("{path}: the settings file is not UTF-8; save it as UTF-8 or remove it").format(
            path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise MlquizError(_("{path}: not valid TOML ({reason}); fix or remove the file").format(
            path=path, reason=exc)) from None
    return from_dict(data, str(path))


def from_dict(data: dict, where: str = "settings") -> Settings:
    import difflib

    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = _("did you mean {name}? ").format(name=repr(close[0])) if close else ""
            raise MlquizError(_("{where}: unknown setting {key}; {hint}settings: {keys}").format(
                where=where, key=repr(key), hint=hint, keys=", ".join(KEYS)))
    values = {}
    retention = data.get("desired_retention", 0.9)
    if isinstance(retention, bool) or not isinstance(retention, (int, float)) or not 0.7 <= retention <= 0.99:
        raise MlquizError(_("{where}: desired_retention must be a number from 0.7 to 0.99, not {value}").format(
            where=where, value=repr(retention)))
    values["desired_retention"] = float(retention)
    for key, default in (("learning_steps", DEFAULT_LEARNING_STEPS), ("relearning_steps", DEFAULT_RELEARNING_STEPS)):
        steps = data.get(key, list(default))
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise MlquizError(_("{where}: {key} must be a list of durations like [\"10m\"], not {value}").format(
                where=where, key=key, value=repr(steps)))
        for step in steps:
            try:
                parse_duration(step)
            except ValueError as exc:
                raise MlquizError(_("{where}: {key}: {reason}").format(where=where, key=key, reason=exc)) from None
        values[key] = tuple(steps)
    length = data.get("session_length", 10)
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 500:
        raise MlquizError(_("{where}: session_length must be a whole number from 1 to 500, not {value}").format(
            where=where, value=repr(length)))
    values["session_length"] = length
    language = data.get("language")
    if language is not None and (not isinstance(language, str)
                                 or not re.fullmatch(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?", language)):
        raise MlquizError(_("{where}: language must be a language code such as en or zh, not {value}").format(
            where=where, value=repr(language)))
    values["language"] = language
    return Settings(**values, source=where if where != "settings" else None)
