"""API: groups."""
