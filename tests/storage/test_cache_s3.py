"""The teacher response cache on S3 (moto on 127.0.0.1): several writers ("nodes") at once,
a later reader sees every entry, compaction merges the per-entry objects."""

from __future__ import annotations

from skyray.llm.cache import ResponseCache
from tests.storage.conftest import s3_files


def test_cache_on_s3_is_shared_by_writers_and_merged_on_read(s3_root):
    uri = f"{s3_root}/run/step-2-synth/cache"
    node_a, node_b = ResponseCache(uri), ResponseCache(uri)
    assert node_a.remote and len(node_a) == 0
    for i in range(5):
        node_a.put(f"a{i}", {"text": f"A{i}", "prompt_tokens": 1})
        node_b.put(f"b{i}", {"text": f"B{i}", "prompt_tokens": 2})
    assert node_a.get("a3") == {"text": "A3", "prompt_tokens": 1}
    reader = ResponseCache(uri)  # a rerun, possibly on another node
    assert len(reader) == 10 and reader.get("b4")["text"] == "B4"
    assert reader.compact()["entries"] == 10
    assert len(s3_files(uri)) == 1
    after = ResponseCache(uri)
    assert after.keys() == reader.keys() and after.get("a0")["text"] == "A0"
    assert reader.get("b1")["text"] == "B1"  # the compacting reader reads the merged segment
