"""Report kind: being written."""
