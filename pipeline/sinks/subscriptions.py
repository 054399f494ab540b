"""Load and validate the subscriptions file (YAML or TOML) for the notifier.

The file holds a list of subscriptions (see ``deploy/subscriptions.example.yaml`` and ``docs/subscriptions.md``)::

    version: 1
    subscriptions:
      - name: central-asia
        topic: notify.central-asia
        filter: {countries: [KG, KZ], country_match: focus}
        delivery: per_cluster

Every problem is reported at once, each with the file, the line (YAML always; TOML when it can be found), the
field and what to do. Check a file without starting a worker: ``python -m pipeline.sinks.subscriptions FILE``.
"""

from __future__ import annotations

import difflib
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.config import Settings
from pipeline.stages.notify import Router, Subscription, SubscriptionFilter
from pipeline.topics import CATALOGUE, NOTIFICATIONS, topic_name

Format = Literal["yaml", "toml"]
SUFFIXES: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
#: Pipeline topics a subscription must not write into (its notifications would break the stage reading them).
RESERVED_TOPICS = frozenset(spec.name for spec in CATALOGUE if spec is not NOTIFICATIONS)


class SubscriptionsFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = Field(1, description="File format version")
    subscriptions: list[Subscription] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file."""

    where: str
    message: str
    line: int | None = None


class SubscriptionConfigError(ValueError):
    """The subscriptions file cannot be used. ``str()`` lists every problem, one per line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''} in the subscriptions file (nothing was loaded):"
        rows = [
            f"  {self.source}:{p.line}: {p.where}: {p.message}"
            if p.line
            else f"  {self.source}: {p.where}: {p.message}"
            for p in self.problems
        ]
        return "\n".join([head, *rows])


def default_subscriptions(topic_prefix: str = "") -> tuple[Subscription, ...]:
    """No file configured: one subscription, ``all``, to the catalogue's notification topic."""
    return (Subscription(name="all", topic=topic_name(NOTIFICATIONS, topic_prefix)),)


def load_subscriptions(path: Path | None, topic_prefix: str = "") -> tuple[Subscription, ...]:
    """The subscriptions in ``path`` (YAML or TOML by suffix), topics prefixed; the default when ``path`` is None.

    Raises :class:`SubscriptionConfigError` naming the file, line, field and fix.
    """
    if path is None:
        return default_subscriptions(topic_prefix)
    source = str(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SubscriptionConfigError(
            source, [Problem("file name", "unknown format; name the file *.yaml, *.yml or *.toml")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SubscriptionConfigError(
            source,
            [Problem("file", "not found; fix WIREFEED_SUBSCRIPTIONS_FILE, or unset it to use the one 'all' topic")],
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriptionConfigError(source, [Problem("file", f"cannot be read as UTF-8 text ({exc})")]) from None
    subs = parse_subscriptions(text, fmt, source)
    if not topic_prefix:
        return subs
    return tuple(s.model_copy(update={"topic": topic_prefix + s.topic}) for s in subs)


def router_from_settings(settings: Settings) -> Router:
    """The notifier's router: subscriptions from ``settings.subscriptions_file`` and the link template."""
    subs = load_subscriptions(settings.subscriptions_file, settings.topic_prefix)
    try:
        return Router(subs, settings.notification_link_template)
    except ValueError as exc:
        raise ValueError(f"WIREFEED_NOTIFICATION_LINK_TEMPLATE: {exc}") from None


def parse_subscriptions(text: str, fmt: Format, source: str = "<subscriptions>") -> tuple[Subscription, ...]:
    """Parse and validate subscriptions from text. ``source`` names the file in error messages."""
    if fmt == "yaml":
        data, node = _read_yaml(text, source)

        def line_of(loc: tuple[Any, ...]) -> int | None:
            return _yaml_line(node, loc)
    else:
        data = _read_toml(text, source)

        def line_of(loc: tuple[Any, ...]) -> int | None:
            return _toml_line(text, loc)

    if data is None:
        raise SubscriptionConfigError(source, [Problem("file", "is empty; add a 'subscriptions' list")])
    if isinstance(data, list) and fmt == "yaml":
        data = {"subscriptions": data}
        line_of = _shifted(line_of)
    if not isinstance(data, dict):
        raise SubscriptionConfigError(
            source, [Problem("top level", "must be a mapping with a 'subscriptions' list", line_of(()))]
        )
    try:
        parsed = SubscriptionsFile.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, data, line_of) for err in exc.errors(include_url=False)]
        raise SubscriptionConfigError(source, problems) from None
    problems = _cross_checks(parsed.subscriptions, data, line_of)
    if problems:
        raise SubscriptionConfigError(source, problems)
    return tuple(parsed.subscriptions)


# --- cross-subscription checks ----------------------------------------------------------------------------------


def _cross_checks(subs: list[Subscription], data: dict[str, Any], line_of: Any) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, sub in enumerate(subs):
        where = _where(("subscriptions", i), data)
        if sub.name in first:
            problems.append(
                Problem(
                    f"{where}.name",
                    f"duplicate name {sub.name!r} (also subscriptions[{first[sub.name]}]); names must be unique "
                    "because they are part of every notification id",
                    line_of(("subscriptions", i, "name")),
                )
            )
        else:
            first[sub.name] = i
        if sub.topic in RESERVED_TOPICS:
            problems.append(
                Problem(
                    f"{where}.topic",
                    f"{sub.topic!r} is a pipeline topic; notifications there would break the stage reading it. "
                    f"Use {NOTIFICATIONS.name!r} or a topic of your own (e.g. 'notify.{sub.name}')",
                    line_of(("subscriptions", i, "topic")),
                )
            )
    return problems


# --- turning pydantic errors into problems ----------------------------------------------------------------------

_LEVEL_FIELDS: dict[str, frozenset[str]] = {
    "file": frozenset(SubscriptionsFile.model_fields),
    "subscription": frozenset(Subscription.model_fields),
    "filter": frozenset(SubscriptionFilter.model_fields),
}
_HINTS = {
    "country_match": "focus or mention",
    "bloc_match": "explicit or any",
    "delivery": "every_version or per_cluster",
    "kills": "all or matching",
}


def _level(loc: tuple[Any, ...]) -> str:
    """Which model a location's last key belongs to."""
    if len(loc) <= 1:
        return "file"
    if len(loc) >= 4 and loc[2] == "filter":
        return "filter"
    return "subscription"


def _where(loc: tuple[Any, ...], data: Any) -> str:
    out = ""
    node = data
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            if i == 1 and loc[0] == "subscriptions":
                name = node[part].get("name") if isinstance(node, list) and isinstance(node[part], dict) else None
                if isinstance(name, str):
                    out += f" ({name})"
        else:
            out += f".{part}" if out else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out or "top level"


def _problem(err: Any, data: Any, line_of: Any) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    where = _where(loc, data)
    line = line_of(loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        level = _level(loc)
        allowed = _LEVEL_FIELDS[level]
        if level == "subscription" and key in _LEVEL_FIELDS["filter"]:
            hint = f"'{key}' is a filter key: indent it under 'filter:' (or [subscriptions.filter] in TOML)"
        else:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + "allowed here: " + ", ".join(sorted(allowed))
        return Problem(where, f"unknown key '{key}'; {hint}", line)
    if kind == "missing":
        return Problem(where, f"required key '{loc[-1]}' is missing; add it", line)
    message = str(err["msg"]).removeprefix("Value error, ")
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "literal_error" and field in _HINTS:
        message = f"got {err.get('input')!r}; use {_HINTS[field]}"
    elif kind not in ("value_error", "assertion_error") and "input" in err and not isinstance(err["input"], dict):
        message = f"got {err['input']!r}: {message}"
    return Problem(where, message, line)


# --- YAML -------------------------------------------------------------------------------------------------------


def _read_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            dup = _duplicate_key(node)
            if dup is not None:
                key, line = dup
                raise SubscriptionConfigError(
                    source, [Problem(f"key '{key}'", "appears twice in the same mapping; keep one", line)]
                )
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark is not None else None
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SubscriptionConfigError(source, [Problem("YAML syntax", what or str(exc), at)]) from None
    except yaml.YAMLError as exc:
        raise SubscriptionConfigError(source, [Problem("YAML syntax", str(exc))]) from None
    finally:
        loader.dispose()
    return data, node


def _duplicate_key(node: yaml.Node) -> tuple[str, int] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return key.value, key.start_mark.line + 1
                seen.add(key.value)
            found = _duplicate_key(value)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _duplicate_key(item)
            if found:
                return found
    return None


def _yaml_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node on ``loc`` (the key itself when the key is the last step)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for step, part in enumerate(loc, start=1):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line = key.start_mark.line + 1 if step == len(loc) else value.start_mark.line + 1
                    node = value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _shifted(line_of: Any) -> Any:
    """Lines for a bare top-level list: drop the 'subscriptions' step the loader added."""

    def shifted(loc: tuple[Any, ...]) -> int | None:
        return line_of(loc[1:] if loc[:1] == ("subscriptions",) else loc)

    return shifted


# --- TOML -------------------------------------------------------------------------------------------------------


def _read_toml(text: str, source: str) -> Any:
    try:
        return tomllib.loads(text) or None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = None
        if "(at line " in message:
            try:
                line = int(message.rsplit("(at line ", 1)[1].split(",", 1)[0])
            except ValueError:
                line = None
        raise SubscriptionConfigError(source, [Problem("TOML syntax", message, line)]) from None


def _toml_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line for ``[[subscriptions]]`` tables: the table header, its filter table, or the key."""
    lines = text.splitlines()
    if len(loc) < 2 or loc[0] != "subscriptions" or not isinstance(loc[1], int):
        return None
    headers = [i for i, ln in enumerate(lines) if ln.strip().replace(" ", "") == "[[subscriptions]]"]
    if loc[1] >= len(headers):
        return None
    start = headers[loc[1]]
    end = next((h for h in headers if h > start), len(lines))
    best = start
    rest = [p for p in loc[2:] if isinstance(p, str)]
    if rest[:1] == ["filter"]:
        sub_header = next(
            (i for i in range(start, end) if lines[i].strip().replace(" ", "") == "[subscriptions.filter]"), None
        )
        if sub_header is not None:
            best, start = sub_header, sub_header
        rest = rest[1:]
    if rest:
        key = rest[0]
        for i in range(start + 1, end):
            stripped = lines[i].lstrip()
            if stripped.startswith("["):
                break
            name = stripped.split("=", 1)[0].strip().strip('"').strip("'")
            if "=" in stripped and name == key:
                return i + 1
    return best + 1


# --- command line -----------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """``python -m pipeline.sinks.subscriptions [FILE]``: validate a file (default: the configured one) and list it."""
    from rich.table import Table

    from pipeline.console import console

    settings = Settings()
    path = Path(argv[0]) if argv else settings.subscriptions_file
    try:
        subs = load_subscriptions(path, settings.topic_prefix)
    except SubscriptionConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    table = Table(title=f"subscriptions from {path or '(default)'}")
    table.add_column("name", no_wrap=True)
    table.add_column("topic", overflow="fold")
    table.add_column("delivery")
    table.add_column("kills")
    table.add_column("filter", overflow="fold")
    for s in subs:
        f = s.filter.model_dump(exclude_defaults=True)
        shown = "; ".join(f"{k}={','.join(sorted(v)) if isinstance(v, frozenset) else v}" for k, v in f.items())
        table.add_row(s.name, s.topic, s.delivery, s.kills, shown or "(all)")
    console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
