import pyarrow as pa
import pyarrow.parquet as pq

from skyray.records import Prediction, Problem, SFTExample, SyntheticSample


def _sample(**kw):
    base = dict(
        question="What is 2+2?",
        response="2+2=4.\nThe answer is 4",
        seed_id="math-train:train/algebra/1.json",
        operator="metamath.rephrase",
        teacher="gpt-4",
        template_version="v1",
        sampling='{"temperature": 0.7}',
    )
    base.update(kw)
    return SyntheticSample(**base)


def test_synthetic_id_is_deterministic_from_lineage_only():
    a, b = _sample(), _sample(response="different text")
    assert a.id == b.id and a.id.startswith("syn-")
    assert _sample(sample_index=1).id != a.id
    assert _sample(step=2).id != a.id
    assert _sample(teacher="other").id != a.id
    lineage = {k: getattr(a, k) for k in SyntheticSample.LINEAGE}
    assert SyntheticSample.lineage_id(**lineage) == a.id


def test_every_record_round_trips_through_parquet(tmp_path):
    records = {
        Problem: [Problem(id="p:1", problem="q", answer="1", level=3, subject="Algebra")],
        SyntheticSample: [_sample(), _sample(sample_index=1, level=5)],
        SFTExample: [SFTExample(id="s", query="q", response="r")],
        Prediction: [
            Prediction(id="p:1", benchmark="math-test", response="r", gold="1", extra={"k": "2"})
        ],
    }
    for cls, rows in records.items():
        table = pa.Table.from_pylist([r.to_row() for r in rows], schema=cls.arrow_schema())
        path = tmp_path / f"{cls.__name__}.parquet"
        pq.write_table(table, path)
        back = pq.read_table(path)
        assert back.schema.equals(cls.arrow_schema())
        restored = [cls.from_row(r) for r in back.to_pylist()]
        if cls is Prediction:
            restored = [Prediction(**{**r.to_row(), "extra": dict(r.extra)}) for r in restored]
        assert restored == rows


def test_nullable_fields_follow_the_type_hints():
    schema = Problem.arrow_schema()
    assert schema.field("level").nullable and not schema.field("problem").nullable


def test_from_row_names_missing_columns():
    import pytest

    with pytest.raises(ValueError, match="problem"):
        Problem.from_row({"id": "x", "answer": "1"})
