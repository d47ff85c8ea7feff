import pytest

from skyray.config import load_config
from skyray.data.seeds import SeedsConfig, read_problems, run_seeds
from skyray.runs import MANIFEST, Step


def test_seeds_step_filters_and_writes_parquet(tmp_path, data_dir):
    cfg = SeedsConfig(
        sources=["math-train"], levels=[4, 5], max_per_source=50, data_dir=str(data_dir)
    )
    path = run_seeds(cfg, tmp_path)
    seeds = read_problems(path / "seeds.parquet")
    assert len(seeds) == 50 and all(s.level in (4, 5) for s in seeds)
    manifest = Step(tmp_path, 1, "seeds").manifest()
    assert manifest["rows"]["seeds"] == 50
    assert manifest["sources"]["math-train"]["skipped_malformed"] == 2
    mtime = (path / MANIFEST).stat().st_mtime_ns
    assert run_seeds(cfg, tmp_path) == path
    assert (path / MANIFEST).stat().st_mtime_ns == mtime  # skipped on rerun
    again = read_problems(run_seeds(cfg, tmp_path / "other") / "seeds.parquet")
    assert [s.id for s in again] == [s.id for s in seeds]  # deterministic sample


@pytest.mark.parametrize("source", ["math-test", "gsm8k-test", "agieval-math", "math500"])
def test_test_splits_are_never_seeds(source):
    with pytest.raises(ValueError, match="never used for seeds"):
        load_config(SeedsConfig, None, [f"sources=[{source}]"])


def test_bad_levels_and_unknown_sources():
    with pytest.raises(ValueError, match="levels"):
        SeedsConfig(levels=[6])
    with pytest.raises(ValueError, match="unknown benchmark"):
        SeedsConfig(sources=["nope"])
