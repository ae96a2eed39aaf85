"""The catalogue: organizations, people and their accounts, sites and products, the
emission-factor releases and their citations, and the audit log. The bottom layer: it imports no
other service package."""
