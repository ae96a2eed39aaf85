"""Server-rendered pages of the platform: sign-in, organizations, sites, products, people."""
