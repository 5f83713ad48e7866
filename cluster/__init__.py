"""`make cluster`: several web nodes and queue workers on this machine, load-tested (docs/cluster.md)."""
