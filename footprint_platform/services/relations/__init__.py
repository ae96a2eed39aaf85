"""Relations between organizations: who may link or see whose product. A supply link counts
once its maker consents (`consent`); a buyer asks for that consent (`links`); a share of a
footprint with a buyer is that consent and lets the buyer see the figure (`sharing`). Above the
graph, which reads the shares as it builds (graph/parties.py), below intake, whose drafts ask for
consent."""
