"""Renderings of pipeline contracts in industry formats (ninjs)."""
