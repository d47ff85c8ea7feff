"""Generation backends behind :class:`skyray.eval.generate.Generator` (imported lazily)."""
