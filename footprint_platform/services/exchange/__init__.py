"""Exchange between organizations: data requests and both sides' inboxes, whether the request
was made on Tanlian or came from a partner's system over PACT or Catena-X, and the onboarding
of a supplier a request invited. Above `pact`, because answering a partner's request sends the
answer back through it, and above `relations`, because an answer shares the footprint."""
