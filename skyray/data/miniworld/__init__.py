"""The miniature world's data: a procedural family of word problems (levels 1-5 = solution
steps) and its train / held-out test splits, a data source like MATH (see
:mod:`skyray.data.benchmarks.miniworld`). Its teacher, student and demo summary live in
:mod:`skyray.testing.miniworld`."""
