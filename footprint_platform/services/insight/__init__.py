"""Insight, the read side for people: what-if scenarios, the portfolio, coverage of primary data,
a supplier's own dashboard, and each person's task inbox (requests, verifications, link requests
and overdue obligations counted in one place), and the audit log as its administrators read it
(details labelled and named only where the reader may see them; its CSV)."""
