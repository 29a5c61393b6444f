"""What every mock system shares: the store, the write path with events and outbox, errors, the
clock, the journal and the control routes under /_mock. Nothing here knows a system."""
