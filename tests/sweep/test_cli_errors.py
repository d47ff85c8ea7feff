"""Bad input stops `skyray sweep` before any Ray work with one line on stderr and exit code 2."""

import pytest

from skyray.cli import main
from tests.sweep.conftest import LOCAL


def run_sweep(tmp_path, capsys, *overrides):
    code = main(["sweep", "--config", str(LOCAL), "--run-dir", str(tmp_path / "s"), *overrides])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("{missing}", "model 'm' does not load: model folder not found"),
        ("{empty}", "holds neither config.json nor a model/ export"),
        ("{garbage}", "model 'm' ({garbage}) does not load: "),
        ("no-such-org/no-such-model", "model 'm' (no-such-org/no-such-model) does not load: "),
    ],
)
def test_a_model_that_does_not_load(tmp_path, capsys, curated_data, model, message):
    paths = {
        "missing": tmp_path / "missing",
        "empty": tmp_path / "empty",
        "garbage": tmp_path / "garbage",
    }
    paths["empty"].mkdir()
    paths["garbage"].mkdir()
    (paths["garbage"] / "config.json").write_text("{not json")
    model, message = model.format(**paths), message.format(**paths)
    code, err = run_sweep(
        tmp_path, capsys, f"data={curated_data}", f"models=[{{name: m, model: {model}}}]"
    )
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("skyray: error: ") and message in err[0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sizes=[8, 64]"], "size 64 is larger than the dataset: "),
        (["sizes=[8]", "sft.data_stage=5", "sft_stage2.data_stage=6"], "empty subset: "),
        (["sizes=[8]", "selections=[verifier]"], "needs a verifier_score column"),
        (["sizes=[8]", "stage2_sizes=[8]", "sft_stage2.data_stage=4"], "no stage-4 rows"),
        (["sizes=[8]", "data=/no/such/data"], "sweep data not found: /no/such/data"),
        (["sizes=[8]", "sft_axes={max_length: [4]}"], "max_length must be >= 16"),
    ],
)
def test_bad_data_and_grid(tmp_path, capsys, curated_data, tiny_model_dir, overrides, message):
    code, err = run_sweep(
        tmp_path,
        capsys,
        f"data={curated_data}",
        f"models=[{{name: tiny, model: {tiny_model_dir}}}]",
        "stage2_sizes=[]",
        *overrides,
    )
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("skyray: error: ") and message in err[0]
    assert not (tmp_path / "s" / "trials").exists()  # nothing ran


def test_report_of_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["sweep", "report", str(tmp_path)]) == 2
    assert "is not a sweep folder" in capsys.readouterr().err
