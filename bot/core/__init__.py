"""The core: message types, ports and user-facing errors. Depends on the standard library only."""
