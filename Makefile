# The front door. `make demo` runs the main job, `make test` runs every test; both set up first.
.PHONY: setup demo test bench clean

THREADS ?= $(shell nproc)

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

test: setup
	@cd build && ctest --output-on-failure --timeout 900 -j1

bench: setup
	@mkdir -p build/bench
	@for b in build/bin/bench_*; do echo "== $$b"; "$$b" --out_dir=build/bench || exit 1; done

clean:
	rm -rf build
