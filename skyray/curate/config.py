"""The curation stage's config: one dataclass per step, gathered in :class:`CurateConfig`."""

from __future__ import annotations

from dataclasses import dataclass, field

from skyray.config import require, require_seconds

# the short names for the default decontamination sets
BENCHMARK_ALIASES = {"gsm8k": "gsm8k-test", "math": "math-test"}


@dataclass(kw_only=True)
class FormatConfig:
    """Step 1: per-row checks before anything is compared."""

    require_answer_line: bool = True  # response must end its reasoning with "The answer is X"
    min_question_chars: int = 10  # shorter questions are dropped as "format:question-length"
    max_question_chars: int = 8000
    min_response_chars: int = 20
    max_response_chars: int = 20000  # the paper's teacher outputs stay far below this
    check_answer: bool = True  # where the row has `gold`, the response must reach it
    grader: str = "equiv"  # skyray.math.grade mode for that check: "equiv" or "strict"
    grader_timeout_s: float = 2.0  # per symbolic comparison

    def __post_init__(self) -> None:
        require(
            0 <= self.min_question_chars <= self.max_question_chars,
            "format: question length bounds",
        )
        require(
            0 <= self.min_response_chars <= self.max_response_chars,
            "format: response length bounds",
        )
        require(
            self.grader in ("equiv", "strict"),
            f"format.grader must be equiv or strict, got {self.grader!r}",
        )
        require_seconds(self.grader_timeout_s, "format.grader_timeout_s")


@dataclass(kw_only=True)
class DecontamConfig:
    """Step 2: n-gram overlap with the test sets (question and solution of every item)."""

    enabled: bool = True
    ngram: int = 30  # the paper's 30-gram filter; 10 or 13 are stricter
    benchmarks: list[str] = field(
        default_factory=lambda: ["gsm8k-test", "math-test"]
    )  # registry names
    min_tokens: int = 8  # benchmark texts shorter than `ngram` but this long are matched whole;
    # shorter ones only when a sample's question or response is exactly that text
    fields: list[str] = field(
        default_factory=lambda: ["question", "response"]
    )  # sample columns checked
    data_dir: str = ""  # benchmark data directory ("" = $SKYRAY_DATA_DIR)

    def __post_init__(self) -> None:
        from skyray.data.benchmarks import get_benchmark

        self.benchmarks = [BENCHMARK_ALIASES.get(b, b) for b in self.benchmarks]
        require(self.ngram >= 2, f"decontam.ngram must be >= 2, got {self.ngram}")
        require(1 <= self.min_tokens <= self.ngram, "decontam.min_tokens must be in 1..ngram")
        require(not self.enabled or bool(self.benchmarks), "decontam.benchmarks must not be empty")
        require(
            bool(self.fields) and set(self.fields) <= {"question", "response"},
            f"decontam.fields must be question and/or response, got {self.fields}",
        )
        for name in self.benchmarks:
            try:
                get_benchmark(name)
            except KeyError as exc:
                raise ValueError(str(exc).strip("'\"")) from None


@dataclass(kw_only=True)
class ExactDedupConfig:
    """Step 3: identical question + response after normalisation (case, whitespace, punctuation)."""

    enabled: bool = True


@dataclass(kw_only=True)
class NearDedupConfig:
    """Step 4: MinHash LSH over word shingles of question + response."""

    enabled: bool = True
    shingle_size: int = 3  # words per shingle
    num_perm: int = 128  # signature length (one-permutation MinHash bins)
    bands: int = 20  # LSH bands ...
    rows_per_band: int = 6  # ... of this many signature values; S-curve midpoint ~0.61
    threshold: float = 0.8  # a candidate pair is a duplicate when its estimated Jaccard >= this
    seed: int = 1  # hash seed (changing it changes signatures, not the expected result)
    max_bucket: int = 200  # buckets larger than this compare members to their neighbours only
    num_shards: int = 2  # pass-2 shards (exact-hash ranges and LSH band groups) run in parallel

    def __post_init__(self) -> None:
        require(self.shingle_size >= 1, "near_dedup.shingle_size must be >= 1")
        require(self.num_perm >= 8, "near_dedup.num_perm must be >= 8")
        require(self.bands >= 1 and self.rows_per_band >= 1, "near_dedup.bands/rows_per_band >= 1")
        require(
            self.bands * self.rows_per_band <= self.num_perm,
            f"near_dedup: bands x rows_per_band ({self.bands}x{self.rows_per_band}) exceeds num_perm ({self.num_perm})",
        )
        require(0.0 < self.threshold <= 1.0, "near_dedup.threshold must be in (0, 1]")
        require(self.max_bucket >= 2, "near_dedup.max_bucket must be >= 2")
        require(self.num_shards >= 1, "near_dedup.num_shards must be >= 1")


@dataclass(kw_only=True)
class CurateConfig:
    """The curation stage: format -> decontam -> exact dedup -> near dedup, streamed on Ray Data."""

    format: FormatConfig = field(default_factory=FormatConfig)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)
    exact_dedup: ExactDedupConfig = field(default_factory=ExactDedupConfig)
    near_dedup: NearDedupConfig = field(default_factory=NearDedupConfig)
    chunk_mb: float = 2.0  # input chunk size (one Ray Data row each); small chunks keep the
    # vectorised hashing in cache (2 MiB measured ~1.5-2x faster than 8 MiB)
    num_workers: int = 0  # curation actors (0 = one per cluster CPU)
    worker_cpus: float = 0.5  # CPU reserved per actor: fractional so Ray Data reads still schedule
    # custom Ray resources of every curation actor and task, to place them on chosen nodes
    # (e.g. {curation: 0.01} with `ray start --resources '{"curation": 64}'` on CPU nodes)
    worker_resources: dict[str, float] = field(default_factory=dict)
    engine: str = "ray"  # "ray" (Ray Data + tasks) or "local" (the same code in this process)

    def __post_init__(self) -> None:
        require(self.chunk_mb > 0, "chunk_mb must be > 0")
        require(self.num_workers >= 0, "num_workers must be >= 0")
        require(0 < self.worker_cpus <= 64, "worker_cpus must be in (0, 64]")
        require(
            all(v > 0 for v in self.worker_resources.values()),
            "worker_resources amounts must be > 0",
        )
        require(
            self.engine in ("ray", "local"), f"engine must be ray or local, got {self.engine!r}"
        )
