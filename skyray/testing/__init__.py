"""Stand-ins for tests, benchmarks and the laptop demo: tiny models built locally (no downloads),
the miniature world, curation workloads, a misbehaving teacher."""
