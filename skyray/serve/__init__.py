"""OpenAI-compatible serving on Ray Serve (``skyray serve``): a deterministic teacher for tests
and demos, a CPU ``transformers`` backend, and vLLM replicas via Ray Serve LLM on GPUs.
Start/stop helpers: :mod:`skyray.serve.server`."""
