"""The engine: a policy compiled into tables and applied to agent rows, every amount exact."""
