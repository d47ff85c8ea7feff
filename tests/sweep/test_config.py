import pytest

from skyray.config import load_config
from skyray.sweep.config import SweepConfig

BASE = ["sizes=[4, 8]", "models=[{name: tiny, model: /m}]"]


def test_local_config_loads_with_its_grid():
    from tests.sweep.conftest import LOCAL

    cfg = load_config(SweepConfig, LOCAL)
    assert cfg.sizes == [8, 16, 32] and [m.name for m in cfg.models] == ["tiny-llama"]
    assert cfg.sft.num_workers == 1 and cfg.sft_stage2.data_stage == 2
    assert cfg.stage2_sizes == [16] and cfg.grader == "strict"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sizes=[]"], "at least one data size"),
        (["sizes=[0, 4]"], "sizes must be >= 1"),
        (["sizes=[4, 4]"], "duplicate sizes"),
        (["models=[]"], "at least one base model"),
        (["models=[{name: a b}]"], "use letters"),
        (["models=[{name: a}, {name: a}]"], "duplicate model names"),
        (["selections=[best]"], "not one of"),
        (["stage2_sizes=[16]"], "not among sizes"),
        (["sft_axes={max_len: [512]}"], "not an SFT option"),
        (["sft_axes={seed: [1, 2]}"], "set by the sweep itself"),
        (["sft_axes={max_length: [8]}"], "max_length must be >= 16"),
        (["sft_axes={max_length: []}"], "at least one value"),
        (["max_concurrent_trials=0"], "max_concurrent_trials must be >= 1"),
        (["report.grader=fuzzy"], "not among eval.graders"),
        (["report.target_accuracy=1.5"], "must be in (0, 1)"),
    ],
)
def test_bad_sweep_configs_are_one_clear_error(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(SweepConfig, None, BASE + overrides)


def test_a_model_may_bring_its_own_recipe_file():
    from tests.sweep.conftest import ROOT

    recipe = ROOT / "configs" / "paper" / "mistral-7b" / "sft-stage1.yaml"
    cfg = load_config(SweepConfig, None, BASE[:1] + [f"models=[{{name: m, sft: {recipe}}}]"])
    assert cfg.models[0].sft.learning_rate == 2e-6
    assert cfg.stage1_recipes()[0].model == "mistralai/Mistral-7B-v0.1"
