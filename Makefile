# Two entry points: `make run` launches the app, `make test` runs the whole test suite.
# Both create .venv when it is missing and install everything into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench gpu-prep gpu-bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is a CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python run.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python run.py bench

# GPU frame-time figures on a lent H100/H200 with no network (../shared/GPU.md).
# gpu-prep (here, with network): fetch the EGL libraries and Python 3.12 wheels into .gl/ and
# .whl/ (git-ignored through .git/info/exclude). gpu-bench (there, with .gl and .whl carried):
# install them outside the project and print the renderer benchmark, GL_RENDERER first.
GPU_WHEELS := moderngl==5.13.0 glcontext==3.1.0 sgp4 skyfield jplephem skyfield-data
APT_AMD64  := -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64

gpu-prep:
	grep -qx '/.gl/' .git/info/exclude 2>/dev/null || printf '/.gl/\n/.whl/\n' >> .git/info/exclude
	mkdir -p .gl .whl /tmp/amd64/partial
	apt-get $(APT_AMD64) update -qq
	cd .gl && apt-get $(APT_AMD64) download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
	  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl $(GPU_WHEELS)

gpu-bench:
	for f in .gl/*.deb; do dpkg -x $$f /; done; ldconfig
	python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
	PYTHONPATH=/tmp/site:$(CURDIR) \
	  __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json \
	  python3 run.py bench --render --no-sim

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
