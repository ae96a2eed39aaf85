"""Use cases: functions that take a session, an actor and plain values, and own the transaction.

One package per capability (ARCHITECTURE.md has a table of each): `catalogue` (organizations,
people, products, consent, factor releases), `intake` (suppliers' primary data and the requests
for it), `graph` (the period's supply graph and its stored results), `disclosure` (declarations,
verification, publication, exports, shares), `pact` (PACT and Catena-X exchange), `insight`
(analysts' reads and what-if), `notify` (tasks, e-mail, webhooks). `workflow` runs what follows a
change (recompute, redeclare, deliveries); only entry points call it."""
