"""The Customer Service Portal: the staff web app at /portal/ (docs/portal.md)."""
