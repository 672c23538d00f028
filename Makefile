# Petrel — the two commands are `make run` and `make test`; both set up what they need.
SHELL := /bin/bash
SWIFT ?= swift
PETREL_VENV := $(CURDIR)/.petrel/venv
export PETREL_VENV
export PATH := $(PETREL_VENV)/bin:$(PATH)

.PHONY: all bootstrap build test run bench chaos orderfile conformance clean

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

## make conformance: replay kustomize's own krusty tests and examples against `kubectl kustomize` (never part of
## make test). PETREL_KUSTOMIZE_SRC is a kustomize checkout, or a bare git directory with PETREL_KUSTOMIZE_REF (a tag);
## CONFORMANCE_FLAGS passes more options (e.g. --failures /tmp/krusty-failures.txt --filter component).
conformance: bootstrap
	$(SWIFT) build --product petrel
	$(PETREL_VENV)/bin/python scripts/krusty-replay.py $(CONFORMANCE_FLAGS)

## make chaos: the fault-injection scenarios in their long form, as a benchmark (never part of make test).
chaos: bootstrap
	@bash scripts/chaos.sh

## make orderfile: regenerate scripts/petrel-controller.order (needs valgrind; about 4 minutes).
orderfile: bootstrap
	@bash scripts/orderfile.sh

clean:
	rm -rf .build .petrel/run

## make image: build the container image with Docker (IMAGE=name:tag to choose its name).
IMAGE ?= ghcr.io/petrel-dev/petrel:dev
.PHONY: image
image:
	@if ! command -v docker >/dev/null 2>&1; then \
		echo "make image: Docker is not installed on this machine, so the image cannot be built here."; \
		echo "Run 'make image' (docker build -t $(IMAGE) .) on a machine with Docker."; \
		exit 1; \
	fi
	@if ! docker info >/dev/null 2>&1; then \
		echo "make image: the docker command is here but no Docker daemon is reachable, so the image cannot be built."; \
		echo "Start Docker (or set DOCKER_HOST) and run 'make image' again, or build elsewhere: docker build -t $(IMAGE) ."; \
		exit 1; \
	fi
	docker build -t $(IMAGE) .
