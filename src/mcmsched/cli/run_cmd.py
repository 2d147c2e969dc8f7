"""CLI commands (to be filled)."""
