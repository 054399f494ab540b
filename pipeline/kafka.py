"""aiokafka client construction shared by every component (producers, consumers, admin, lag monitor)."""

from __future__ import annotations

import ssl
from typing import Any

from pipeline.config import KafkaSecurity, Settings


def ssl_context(sec: KafkaSecurity) -> ssl.SSLContext | None:
    if sec.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    ctx = ssl.create_default_context(cafile=str(sec.ssl_cafile) if sec.ssl_cafile else None)
    if sec.ssl_certfile:
        ctx.load_cert_chain(str(sec.ssl_certfile), str(sec.ssl_keyfile) if sec.ssl_keyfile else None)
    return ctx


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments every aiokafka client needs: bootstrap servers and security."""
    if not settings.broker:
        raise RuntimeError("no broker configured: set WIREFEED_BROKER or pass --broker host:port")
    sec = settings.kafka
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.broker,
        "security_protocol": sec.security_protocol,
    }
    if ctx := ssl_context(sec):
        kwargs["ssl_context"] = ctx
    if sec.security_protocol.startswith("SASL"):
        kwargs["sasl_mechanism"] = sec.sasl_mechanism or "PLAIN"
        kwargs["sasl_plain_username"] = sec.sasl_username
        kwargs["sasl_plain_password"] = sec.sasl_password
    return kwargs
