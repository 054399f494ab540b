"""Limits and per-agency defaults for the normalise stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.stages.normalise.charset import allowed_codec
from schemas.raw import FormatHint


@dataclass(frozen=True)
class AgencyProfile:
    """What to assume about one agency's submissions when the submission itself does not say.

    - ``format``: the format to use when the submission's ``format_hint`` is ``auto`` (skips sniffing).
    - ``timezone``: IANA zone for timestamps that carry no offset (overrides the stage default).
    - ``charset``: the charset to decode with when neither a BOM, the content type nor the document
      declares one (instead of UTF-8-then-Windows-1252 detection).
    - ``language``: BCP 47 tag to use when the document names no language.
    """

    format: FormatHint = "auto"
    timezone: str | None = None
    charset: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class NormaliseOptions:
    """Limits and per-agency defaults. The shell builds one from ``Settings`` (see :meth:`from_settings`)."""

    max_bytes: int = 2_000_000
    max_depth: int = 64
    default_timezone: str = "UTC"
    agencies: Mapping[str, AgencyProfile] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        """Configuration errors surface when the options are built, not as rejected stories."""
        if self.max_bytes < 1 or self.max_depth < 1:
            raise ValueError("max_bytes and max_depth must be positive")
        zones = [self.default_timezone] + [p.timezone for p in self.agencies.values() if p.timezone]
        for name in zones:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown timezone {name!r}") from exc
        for agency, p in self.agencies.items():
            if p.charset and allowed_codec(p.charset) is None:
                raise ValueError(f"agency {agency!r}: unknown or refused charset {p.charset!r} (docs/formats.md)")
            if p.format not in get_args(FormatHint):
                raise ValueError(f"agency {agency!r}: unknown format {p.format!r}")

    def profile(self, agency: str) -> AgencyProfile:
        return self.agencies.get(agency) or _NO_PROFILE

    def timezone_for(self, agency: str) -> str:
        return self.profile(agency).timezone or self.default_timezone

    @classmethod
    def from_settings(cls, settings: Any, agencies: Mapping[str, AgencyProfile] | None = None) -> NormaliseOptions:
        """Build from ``pipeline.config.Settings`` (max_payload_bytes, max_nesting_depth, default_timezone)."""
        return cls(
            max_bytes=settings.max_payload_bytes,
            max_depth=settings.max_nesting_depth,
            default_timezone=settings.default_timezone,
            agencies=MappingProxyType(dict(agencies or {})),
        )


def profiles_from_mapping(data: Mapping[str, Mapping[str, Any]]) -> dict[str, AgencyProfile]:
    """Agency profiles from plain data, e.g. a YAML/TOML table ``{agency: {format:, timezone:, ...}}``.

    Unknown keys are errors; values are checked when the profiles are put into ``NormaliseOptions``.
    """
    fields = {"format", "timezone", "charset", "language"}
    out: dict[str, AgencyProfile] = {}
    for agency, values in data.items():
        unknown = set(values) - fields
        if unknown:
            raise ValueError(f"agency {agency!r}: unknown profile keys {sorted(unknown)}")
        out[agency] = AgencyProfile(**values)
    return out


_NO_PROFILE = AgencyProfile()
DEFAULT_OPTIONS = NormaliseOptions()
