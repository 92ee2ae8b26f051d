"""Plain service functions, verb-named, acting user first: every write goes through here."""
