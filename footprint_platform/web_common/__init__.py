"""Glue shared by the HTML pages of `web` (writes) and `dashboards` (reads): the request's actor
and locale, error pages, and the downloads of a declaration. It imports services, never a page."""
