"""The district office's console: accounts, sessions, the audit log, and what the pages show."""
