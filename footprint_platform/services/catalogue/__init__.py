"""The catalogue: organizations, people and their accounts, sites and products, supply links and
their consent, the emission-factor releases and their citations, and the audit log."""
