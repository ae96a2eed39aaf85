"""Telling people and systems: each person's task inbox, e-mail notifications and digests, and
webhooks with their delivery."""
