"""supply_graph: the pure roll-up engine of Tanlian (numbers and graphs in, numbers out)."""
