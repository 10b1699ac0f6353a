"""Timed reminders about tickets: before the deadline, not accepted, waiting for 核查."""
