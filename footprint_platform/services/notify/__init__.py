"""Telling people and systems: e-mail notifications and digests, and webhooks with their
delivery. Low in the order (above the catalogue only), so that any capability may tell; each
person's task inbox reads many of them and lives in `insight`."""
