"""Use cases: functions that take a session, an actor and plain values, and own the transaction."""
