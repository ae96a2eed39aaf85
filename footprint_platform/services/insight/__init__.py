"""Insight for analysts: what-if scenarios, the portfolio, coverage of primary data, and a
supplier's own dashboard."""
