"""Tips: the curated library, choosing one for a person's usage gap, and optional rewording."""
