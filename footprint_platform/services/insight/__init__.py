"""Insight, the read side for people: what-if scenarios, the portfolio, coverage of primary data,
a supplier's own dashboard, and each person's task inbox (requests, verifications, link requests
and overdue obligations counted in one place)."""
