# The two entry points are `make setup && make demo` and `make setup && make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)
export CHECKPOINT_DISABLE := 1
CARGO ?= cargo

.PHONY: setup build release test lint fmt-check clippy cargo-test instructions terraform-fmt demo lab bench clean-tools

setup:
	@bash scripts/setup.sh

build:
	$(CARGO) build --workspace --bins

release:
	$(CARGO) build --release --workspace --bins

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

TERRAFORM_DIRS := $(wildcard modules infra examples provider/examples)

terraform-fmt:
	TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff $(TERRAFORM_DIRS)

lint: fmt-check clippy terraform-fmt

# Integration tests drive the freshly built provider and tfaudit binaries through
# real Terraform against a local S3 server, so the binaries are built first.
cargo-test: build
	$(CARGO) test --workspace --no-fail-fast

# Instruction counts of tfaudit plan against bench/instructions.baseline (callgrind):
# a slowdown fails without timing anything.
instructions: build
	bash bench/instructions.sh

test: lint cargo-test instructions

# The scenarios run on the dev-profile build `make test` also uses (no LTO build
# before the first scenario); `make release` builds the optimised binaries.
demo: build
	@bash scripts/demo.sh

# One lab of the course, on the same build as the demo: `make lab N=07` (or N=7)
# runs examples/07-*/run.sh. The chapter → lab map is docs/course/README.md.
lab: build
	@bash scripts/lab.sh "$(N)"

bench: release
	@bash bench/run.sh

clean-tools:
	rm -rf .tools
