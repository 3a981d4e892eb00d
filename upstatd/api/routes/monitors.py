"""/api/monitors: (to be written)."""
