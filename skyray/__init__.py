"""SkyRay: the Skywork-Math recipe as a Ray application.

Importing this package stays light: no torch, transformers, vllm, deepspeed or ray.serve.
"""

__version__ = "0.1.0"
