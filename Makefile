# The two commands: `make demo` runs the miniature-world demo, `make test` runs the tests.
# Both create (or reuse) .venv and install SkyRay into it. torch is installed first, pinned to the
# CPU wheel this project's machines carry; on a GPU cluster use your own torch:
#   make install TORCH_SPEC=            (skip the torch step; keep the torch already in the venv)
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
SKYRAY_DATA_DIR ?= $(abspath ../shared/data)
BIN := $(VENV)/bin
STAMP := $(VENV)/.skyray-installed
export SKYRAY_DATA_DIR
# DeepSpeed compiles a CPU op on first use; keep it between runs. One compiler at a time: two
# in parallel take ~3 GB, the demo's memory peak on a fresh clone
export TORCH_EXTENSIONS_DIR ?= $(abspath .cache/torch_extensions)
export MAX_JOBS ?= 1
export RAY_USAGE_STATS_ENABLED=0
export TOKENIZERS_PARALLELISM=false
export HF_HUB_OFFLINE=1

.PHONY: install demo test test-slow test-cluster lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
ifneq ($(strip $(TORCH_SPEC)),)
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	echo "$(TORCH_SPEC)" > $(VENV)/torch-constraint.txt
else
	$(BIN)/python -c "import torch; print('torch', torch.__version__)" > /dev/null
	$(BIN)/python -c "import torch; print('torch==' + torch.__version__)" > $(VENV)/torch-constraint.txt
endif
	$(BIN)/python -m pip install -q -c $(VENV)/torch-constraint.txt -e ".[dev]"
	touch $(STAMP)

# DeepSpeed's CPU communication op is compiled here, before Ray starts: compiled on first use
# it ran beside the first sweep trial's workers and made the demo's memory peak
demo: install
	$(BIN)/python -c "from deepspeed.accelerator import get_accelerator as a; a().create_op_builder('ShareMemCommBuilder').load()"
	$(BIN)/skyray tiny-model runs/miniworld-student --world miniworld
	$(BIN)/skyray pipeline --config configs/local/demo.yaml
	$(BIN)/skyray miniworld summary --run-dir runs/demo

test: install
	$(BIN)/python -m pytest -q

# every long test: S3 storage with SFT + eval, `ray job submit` against a real `ray start`
# cluster, several Ray nodes, Ray Serve verifier, SFT failure recovery, sweep restore after a
# killed driver, two chained self-compare rounds
test-slow: install
	$(BIN)/python -m pytest -q -m slow

# the long cluster tests CI runs after `make test` (about 13 min on 2 busy cores): S3 storage,
# `ray job submit` on a real `ray start` cluster, several Ray nodes
test-cluster: install
	$(BIN)/python -m pytest -q -m slow tests/storage tests/test_multinode.py

lint: install
	$(BIN)/ruff check skyray tests bench jobs
	$(BIN)/ruff format --check skyray tests bench jobs

bench: install
	$(BIN)/python bench/grading_throughput.py

clean:
	rm -rf $(VENV) .cache runs .pytest_cache
