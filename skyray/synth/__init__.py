"""Synthesis: teacher clients, versioned prompts, the MetaMath/Evol/Xwin operators, core-set
selection and the two-stage pipeline (``skyray synth``). Teacher clients: :mod:`skyray.llm`."""
