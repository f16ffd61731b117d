# `sam build` builds the three functions through these targets (BuildMethod: makefile, with
# build_in_source in samconfig.toml, so cargo works in this directory and its target/).
#
# Each target runs the same cargo-lambda build of all three binaries: the first one compiles the
# shared dependency graph once and links the three fat-LTO binaries side by side on the machine's
# cores; the targets after it find them built (cargo-lambda then says "no binaries found in target
# directory after build": it has already moved them to target/lambda). SAM's rust-cargolambda
# builder ran one cargo-lambda build per function, so the three links, most of a clean build,
# took turns (docs/decisions/0005).
#
# cargo-lambda moves the binaries after cargo's lock is released, so a target that waited on that
# lock (`sam build --parallel`) could copy before they are in place, or copy an older build: each
# target holds a lock of its own across its build and copy (flock, where the system has it;
# samconfig.toml builds the functions one after the other, which needs none).
CARGO_TARGET_DIR ?= target
LAMBDA_BUILD = cargo lambda build --release --arm64 --locked --bin collector --bin evaluator --bin trail
LOCK = $(if $(shell command -v flock 2>/dev/null),flock "$(CARGO_TARGET_DIR)/sam-build.lock")

FUNCTIONS = build-CollectorFunction build-EvaluatorFunction build-TrailFunction
.PHONY: $(FUNCTIONS)

build-CollectorFunction: BINARY = collector
build-EvaluatorFunction: BINARY = evaluator
build-TrailFunction: BINARY = trail

$(FUNCTIONS):
	mkdir -p "$(CARGO_TARGET_DIR)"
	$(LOCK) sh -c '$(LAMBDA_BUILD) && cp "$(CARGO_TARGET_DIR)/lambda/$(BINARY)/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"'
