"""The ledger: a SQLite file of every recorded run, its closes, corrections and actions."""
