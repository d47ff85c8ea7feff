import json
from dataclasses import dataclass

from skyray.runs import MANIFEST, SUCCESS, Step


@dataclass(kw_only=True)
class Cfg:
    n: int = 1


def test_step_folder_manifest_and_marker_last(tmp_path):
    step = Step(tmp_path / "run", 3, "curate")
    assert step.path.name == "step-3-curate"
    step.start()
    (step.path / "out.txt").write_text("x")
    manifest = step.finish(Cfg(), rows={"kept": 5})
    assert (step.path / SUCCESS).stat().st_mtime_ns >= (step.path / MANIFEST).stat().st_mtime_ns
    on_disk = json.loads((step.path / MANIFEST).read_text())
    assert on_disk["rows"] == {"kept": 5} and on_disk["config"] == {"n": 1}
    assert on_disk["config_hash"] == manifest["config_hash"]
    assert "python" in on_disk["versions"] and "pyarrow" in on_disk["versions"]


def test_finished_step_is_skipped_until_config_or_input_changes(tmp_path):
    src = tmp_path / "input.jsonl"
    src.write_text("a\n")
    step = Step(tmp_path / "run", 1, "seeds")
    assert not step.is_done(Cfg(), [src])
    step.start()
    step.finish(Cfg(), [src])
    assert step.is_done(Cfg(), [src])
    assert not step.is_done(Cfg(n=2), [src])
    src.write_text("changed, longer\n")
    assert not step.is_done(Cfg(), [src])


def test_upstream_step_is_identified_by_its_fingerprint(tmp_path):
    up = Step(tmp_path, 1, "seeds")
    up.start()
    up.finish(Cfg())
    down = Step(tmp_path, 2, "synth")
    down.start()
    down.finish(Cfg(), [up.path])
    assert down.is_done(Cfg(), [up.path])
    up.start()
    up.finish(Cfg(n=5))  # upstream redone with another config
    assert not down.is_done(Cfg(), [up.path])


def test_interrupted_rerun_is_not_mistaken_for_done(tmp_path):
    step = Step(tmp_path, 1, "x")
    step.start()
    step.finish(Cfg())
    step.start()  # a new attempt begins, then dies before finish()
    assert not step.is_done(Cfg())
    step.start(reset=True)
    assert list(step.path.iterdir()) == []
