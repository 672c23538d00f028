# Petrel — the two commands are `make run` and `make test`; both set up what they need.
SHELL := /bin/bash
SWIFT ?= swift
PETREL_VENV := $(CURDIR)/.petrel/venv
export PETREL_VENV
export PATH := $(PETREL_VENV)/bin:$(PATH)

.PHONY: all bootstrap build test run bench clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

## make test: install what is missing, build everything, run every test.
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

## make run: with no KUBECONFIG, the embedded local API server + demo repository + controllers.
run: bootstrap
	@bash scripts/run.sh

## make bench: benchmarks (never part of make test).
bench: bootstrap
	@bash scripts/bench.sh

clean:
	rm -rf .build .petrel/run
