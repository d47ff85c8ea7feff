"""Every notebook under notebooks/ runs top to bottom (nbclient, the venv's python3 kernel) on a
small finished run, and the committed notebooks carry no outputs."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def _execute(path: Path, monkeypatch, **env: str):
    import nbclient
    import nbformat

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return book


def _text(book) -> str:
    parts = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_notebooks_are_committed_without_outputs():
    assert {p.name for p in ALL} >= {
        "run_report.ipynb",
        "synthetic_data.ipynb",
        "curation_report.ipynb",
        "evaluation.ipynb",
        "scaling_curve.ipynb",
    }
    for path in ALL:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebook_runs_on_a_finished_run(path, observed_run, monkeypatch):
    book = _execute(path, monkeypatch, SKYRAY_RUN_DIR=str(observed_run.run_dir))
    text = _text(book)
    assert "Traceback" not in text
    if path.stem == "synthetic_data":
        assert "seeds found for 100% of samples" in text
    if path.stem == "curation_report":
        kept = json.loads((observed_run.run_dir / "step-3-curate" / "report.json").read_text())
        assert f"kept {kept['rows']['kept']}" in text
        assert "image/png" in json.dumps([c.get("outputs") for c in book.cells])
    if path.stem == "evaluation":
        assert "gsm8k-test" in text and "math-test" in text
    if path.stem == "scaling_curve":
        assert "no sweep folder given" in text


def test_scaling_notebook_reads_a_sweep_folder(tmp_path, monkeypatch):
    sweep = tmp_path / "sweep"
    (sweep / "trial-1").mkdir(parents=True)
    points = [{"num_samples": n, "accuracy": a} for n, a in [(100, 0.1), (1000, 0.2), (10000, 0.3)]]
    (sweep / "report.json").write_text(json.dumps({"points": points}))
    book = _execute(NOTEBOOKS / "scaling_curve.ipynb", monkeypatch, SKYRAY_SWEEP_DIR=str(sweep))
    text = _text(book)
    assert "10000" in text and "image/png" in json.dumps([c.get("outputs") for c in book.cells])
