"""Tables, column types, engine set-up and migrations."""
