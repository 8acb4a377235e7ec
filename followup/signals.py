"""Signals of the follow-up, for the apps above it (the PDF reports archive the approved report's document)."""

from django.dispatch import Signal

# Sent after a follow-up report is approved, with `report` and `user`, once the transaction commits.
report_approved = Signal()
