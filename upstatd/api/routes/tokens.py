"""/api/tokens: (to be written)."""
