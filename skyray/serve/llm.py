"""GPU serving: vLLM replicas through Ray Serve LLM (``ray.serve.llm``), OpenAI-compatible.

Needs the ``gpu`` extra (vLLM); ``ray.serve.llm`` does not import without it, so the import is
inside :func:`build_llm_app` and a missing install is one clear error.
"""

from __future__ import annotations


def build_llm_app(cfg):
    """A Ray Serve LLM application serving ``cfg.model_path`` as ``cfg.served_model_name``."""
    try:
        from ray.serve.llm import LLMConfig, build_openai_app
    except ImportError as exc:
        raise ValueError(
            "the vllm backend needs vLLM and Ray Serve LLM: pip install 'skyray[gpu]' "
            f"on a GPU machine ({exc})"
        ) from None
    llm_config = LLMConfig(
        model_loading_config={"model_id": cfg.served_model_name, "model_source": cfg.model_path},
        deployment_config={
            "autoscaling_config": {
                "min_replicas": cfg.num_replicas,
                "max_replicas": cfg.num_replicas,
            }
        },
        engine_kwargs={
            "tensor_parallel_size": cfg.tensor_parallel_size,
            "max_model_len": cfg.max_model_len,
        },
    )
    return build_openai_app({"llm_configs": [llm_config]})
