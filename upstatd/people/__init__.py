"""People (`usr_…`): who is paged, and how each is reached (issue 16)."""
