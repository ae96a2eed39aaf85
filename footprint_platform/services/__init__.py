"""Use cases: functions that take a session, an actor and plain values, and own the transaction.

One package per capability (ARCHITECTURE.md has a table of each), in layers: a package imports
only those before it (tests/test_layers.py holds the order):
`catalogue` (organizations, people, products, factor releases, audit) → `notify` (e-mail,
webhooks) → `graph` (the period's supply graph and its stored results) → `relations` (consent,
link requests, shares) → `intake` (suppliers' primary data) → `disclosure` (declarations,
verification, publication, exports) → `pact` (PACT, Catena-X, the battery passport's AAS) →
`exchange` (data requests, onboarding) → `insight` (analysts' reads, what-if, tasks).
`workflow` sits above them all and runs what follows a change (recompute, redeclare,
deliveries); only entry points call it."""
