"""API: qa."""
