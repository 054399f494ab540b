"""wirefeed: an async news wire-feed pipeline (normalise → dedupe → enrich → store / notify)."""

__version__ = "0.1.0"
