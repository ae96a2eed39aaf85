"""PACT and Catena-X, the service layer (the HTTP layer is `footprint_platform.pact`): a
declaration as a ProductFootprint, Tanlian as a host system and as a client of partners' hosts,
events and their delivery, partners' credentials, Catena-X's model and exchange, and the battery
passport's AAS (the same footprint in the IDTA template)."""
