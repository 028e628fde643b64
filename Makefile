# ipc-lab: System V shared memory between two containers.  `make` lists the targets.
# Every target is a thin wrapper: the README shows the plain `docker compose` command behind it.

SHELL := bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

COMPOSE ?= docker compose          ## how to call Compose v2
OFFLINE ?= 0                       ## 1: build from local base images and docker/npm-cache, no network
ARCH ?= amd64                      ## offline base images for amd64 or arm64
SAVE_FILE ?= ipc-lab-images.tar    ## where `make save` writes and `make load` reads
BUILD_FLAGS ?=                     ## extra flags for `compose build`, e.g. --no-cache
UP_FLAGS ?= --build                ## `make up UP_FLAGS=` starts a loaded image without building
STEP ?= 0                          ## seconds the server pauses after each field (make up STEP=1)
TUI ?= 0                           ## 1: make gdb opens gdb's text UI
UNSAFE ?= 0                        ## 1: make race runs without the lock
RACE_SECONDS ?= 3                  ## how long make race's reader reads
RING_BYTES ?= 256MiB               ## how much make ring streams
RING_SLOT_SIZE ?= 64KiB            ## the size of each ring slot, so of each message
DESIGN ?= textbook                 ## make ring: textbook (one P and one V a message) or batched
QUEUE_JOBS ?= 20                   ## how many jobs make queue's dispatcher sends
QUEUE_DELAY ?= 0.3                 ## seconds make queue's worker 2 takes over each job
POSIX_SIZE ?= 1024                 ## bytes of make posix's object (/dev/shm holds 16m: shm_size)
VIEW_PORT ?= 8080                  ## make view: the port on this machine
VIEW_BIND ?= 127.0.0.1             ## make view: the address it is published on (0.0.0.0: every network)
CYCLES ?= 50                       ## make soak: how many make up + make down
START_INTERVAL ?= auto             ## auto: faster healthchecks while the server starts on Engine 25+; 0: never
HANDOUTS ?=                        ## make check-handouts HANDOUTS="01 03": only those
N ?=                               ## make exercise|check|hint|solve|reset N=3: which exercise
TRACK ?=                           ## the exercise's track: ts (TypeScript, the default) or c
SOURCE ?=                          ## make check: whose code, yours by default; starter, solution or a folder (what CI checks)
# (make keeps the spaces before a trailing comment in the value: strip them)
override COMPOSE := $(strip $(COMPOSE))
override OFFLINE := $(strip $(OFFLINE))
override ARCH := $(strip $(ARCH))
override SAVE_FILE := $(strip $(SAVE_FILE))
override BUILD_FLAGS := $(strip $(BUILD_FLAGS))
override UP_FLAGS := $(strip $(UP_FLAGS))
override STEP := $(strip $(STEP))
override TUI := $(strip $(TUI))
override UNSAFE := $(strip $(UNSAFE))
override RACE_SECONDS := $(strip $(RACE_SECONDS))
override RING_BYTES := $(strip $(RING_BYTES))
override RING_SLOT_SIZE := $(strip $(RING_SLOT_SIZE))
override DESIGN := $(strip $(DESIGN))
override QUEUE_JOBS := $(strip $(QUEUE_JOBS))
override QUEUE_DELAY := $(strip $(QUEUE_DELAY))
override POSIX_SIZE := $(strip $(POSIX_SIZE))
override VIEW_PORT := $(strip $(VIEW_PORT))
override VIEW_BIND := $(strip $(VIEW_BIND))
override CYCLES := $(strip $(CYCLES))
override START_INTERVAL := $(strip $(START_INTERVAL))
override HANDOUTS := $(strip $(HANDOUTS))
override N := $(strip $(N))
override TRACK := $(strip $(TRACK))
override SOURCE := $(strip $(SOURCE))
export UNSAFE RACE_SECONDS RING_BYTES RING_SLOT_SIZE DESIGN QUEUE_JOBS QUEUE_DELAY POSIX_SIZE VIEW_PORT VIEW_BIND STEP START_INTERVAL COMPOSE UP_FLAGS
export IPC_LAB_STEP := $(STEP)

# The paths a student takes by mistake, caught before anything runs: make from another folder
# (Compose would look for compose.yaml there), a target that does not exist, a variable that
# the lab does not know (make would silently ignore STPE=1).
ROOT := $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))
ifneq ($(abspath $(CURDIR)),$(ROOT))
  $(error this is the lab's Makefile, but make runs in $(CURDIR), where Compose would look for compose.yaml: run it in the lab's folder (cd $(ROOT)), or make -C $(ROOT) $(MAKECMDGOALS))
endif
TARGETS := $(shell sed -n 's/^\([a-z][a-z-]*\):.*/\1/p' $(firstword $(MAKEFILE_LIST)))
ifneq ($(filter-out $(TARGETS),$(MAKECMDGOALS)),)
  $(error make has no target '$(firstword $(filter-out $(TARGETS),$(MAKECMDGOALS)))': run make (or make help) for the list)
endif
VARIABLES := $(shell sed -n 's/^\([A-Z_]*\) ?=.*/\1/p' $(firstword $(MAKEFILE_LIST)))
PASSED_ON := MAKEFLAGS NO_COLOR FORCE_COLOR CI TERM IPC_LAB_% DOCKER_% COMPOSE_% BUILDKIT_%
$(foreach v,$(.VARIABLES),$(if $(and $(filter command line,$(origin $(v))),$(filter-out $(VARIABLES) $(PASSED_ON),$(v))),\
  $(warning $(v)=$($(v)) is not a variable of the lab, so it changes nothing (a typo?): the lab's are $(VARIABLES))))

ifeq ($(OFFLINE),1)
  OFFLINE_TAG := $(if $(filter arm64,$(ARCH)),offline-arm64,offline)
  export IPC_LAB_BASE_IMAGE ?= ipc-lab/base:$(OFFLINE_TAG)
  export IPC_LAB_NODE_IMAGE ?= ipc-lab/node:$(OFFLINE_TAG)
  export IPC_LAB_TEST_BASE_IMAGE ?= ipc-lab/base:$(subst offline,offline-dev,$(OFFLINE_TAG))
  export IPC_LAB_NPM_CI_FLAGS ?= --offline
  export IPC_LAB_BUILD_NETWORK ?= none
  # The offline build's npm cache must hold what the lockfile names: refilled when it changes.
  NPM_CACHE_STAMP := docker/npm-cache/.lock-$(ARCH)
endif
IMAGE := $(or $(IPC_LAB_IMAGE),ipc-lab:latest)
##@ Before a workshop

.PHONY: doctor
doctor: node_modules ## Can this machine run the lab? Docker, Compose, buildx, disk, IPC namespaces, ptrace, the image
	@COMPOSE="$(COMPOSE)" IPC_LAB_IMAGE="$(IMAGE)" npm run --silent lab -- doctor

##@ The lab

.PHONY: up
up: preflight ## Build if needed, (re)start the server, run the client and show what it printed
	@scripts/lab/check-vars.sh up STEP
	@scripts/lab/up.sh

.PHONY: logs
logs: preflight ## Show what the server and the client printed
	$(COMPOSE) logs --no-color

.PHONY: inspect
inspect: preflight node_modules ## The lab's containers and namespaces, then the segment: IPC_STAT explained, memory map
	npm run --silent lab -- lab status

.PHONY: watch
watch: preflight server-running ## Redraw the segment's memory map as bytes change (run `make up STEP=1` in another terminal)
	$(COMPOSE) exec server ipc-lab inspect --watch

.PHONY: view
view: preflight ## The live view in a browser (http://localhost:8080): every lab object, read-only; Ctrl-C stops it
	@scripts/lab/check-vars.sh view VIEW_PORT VIEW_BIND
	@scripts/lab/view.sh

.PHONY: gdb
gdb: preflight server-running ## gdb attached to the server: the segment at its address, as bytes and by name (TUI=1: gdb's text UI)
	@# The debug container runs the workbench's image (gdb, and gcc for the header's types): built
	@# first, quietly, so that a machine that never built it gets it, whatever Compose prints.
	@$(COMPOSE) --profile debug build --quiet debug
	@# --no-deps: attach to the server that is running (compose 2.26's `run` would recreate it)
	$(COMPOSE) --profile debug run --rm --no-deps debug gdb $(if $(filter 1,$(TUI)),--tui)

.PHONY: isolated
isolated: preflight ## Run `ipcs -m` in a container with its own IPC namespace: it sees no segment
	$(COMPOSE) --profile isolated run --rm isolated

# race, ring and queue: every side detached, each side's output in turn, a failed side's peers stopped
# at once, and Ctrl-C printing them all before removing them (scripts/lab/group.sh says how).
.PHONY: race
race: preflight ## The race lab: torn reads without a lock (UNSAFE=1), none with a semaphore
	@scripts/lab/check-vars.sh race UNSAFE RACE_SECONDS
	@scripts/lab/group.sh race race-writer race-reader

.PHONY: ring
ring: preflight ## The ring buffer lab: stream RING_BYTES through shared memory, SHA-256 checked (DESIGN=batched)
	@scripts/lab/check-vars.sh ring RING_BYTES RING_SLOT_SIZE DESIGN
	@scripts/lab/group.sh ring ring-producer ring-consumer

.PHONY: queue
queue: preflight ## The message queue lab: a dispatcher, two workers each taking only its own type
	@scripts/lab/check-vars.sh queue QUEUE_JOBS QUEUE_DELAY
	@scripts/lab/group.sh queue queue-dispatcher queue-worker-1 queue-worker-2

.PHONY: posix
posix: preflight ## The POSIX lab: the message in /dev/shm through shm_open and mmap (POSIX_SIZE); make down ends it
	@scripts/lab/check-vars.sh posix POSIX_SIZE
	$(COMPOSE) --profile posix up $(UP_FLAGS) --force-recreate --detach --wait posix-server || \
	  { status=$$?; echo "error: posix-server did not start; what it printed:" >&2; $(COMPOSE) --profile posix logs posix-server >&2; exit $$status; }
	$(COMPOSE) --profile posix run --rm --no-deps posix-client

.PHONY: bench
bench: preflight ## Benchmark: both rings against sockets, pipes, C and memcpy; System V and POSIX semaphores (out/bench.*)
	mkdir -p out
	$(COMPOSE) --project-name ipc-lab-test --profile test run --rm --build --entrypoint npm test run bench; \
	 status=$$?; $(COMPOSE) --project-name ipc-lab-test --profile test down --volumes --remove-orphans >/dev/null 2>&1; exit $$status

.PHONY: clean-ipc
clean-ipc: preflight server-running ## Remove the lab's leftover segments and semaphore sets in the running lab's namespace
	$(COMPOSE) exec server ipc-lab clean

.PHONY: down
down: preflight ## Stop the servers (each removes its segment or /dev/shm object), then remove containers, volumes, networks
	$(COMPOSE) stop server
	@for service in server posix-server; do \
	   id=$$($(COMPOSE) --profile '*' ps --all --quiet $$service); [ -n "$$id" ] || continue; \
	   if [ $$service != server ]; then echo "$(COMPOSE) --profile '*' stop $$service"; $(COMPOSE) --profile '*' stop $$service; fi; \
	   docker logs "$$id" 2>&1 | awk '/clean up|: stopping/ { shown = 1 } shown'; \
	   echo "$$service exited with code $$(docker inspect --format '{{.State.ExitCode}}' "$$id")"; \
	 done
	$(COMPOSE) --profile '*' down --volumes --remove-orphans

.PHONY: clean
clean: down ## Everything `down` removes, and the lab's images (the lab's, the workbench's, the test runner's)
	docker image rm --force $(IMAGE) $(or $(IPC_LAB_WORKBENCH_IMAGE),ipc-lab-workbench:latest) $(or $(IPC_LAB_TEST_IMAGE),ipc-lab-test:latest) 2>/dev/null || true

##@ Development

.PHONY: build
build: preflight ## Build the image
	$(COMPOSE) build $(BUILD_FLAGS) server

.PHONY: config
config: ## Show compose.yaml as Compose resolves it (variables filled in)
	$(COMPOSE) config

.PHONY: test
test: node_modules ## Run every test (System V tests in a Linux container where the host is not Linux)
	npm test

.PHONY: soak
soak: preflight ## make up + make down CYCLES times, checking nothing is left behind
	scripts/soak.sh $(CYCLES)

.PHONY: bench-up
bench-up: preflight ## How long a warm `make up` takes to the message, with and without START_INTERVAL (CYCLES=10)
	scripts/bench-up.sh $(if $(filter command line environment,$(origin CYCLES)),$(CYCLES),10)

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

##@ Exercises (exercises/README.md): write the code yourself, N=1..6, TRACK=ts or c

EXERCISE = npm run --silent exercise --
EXERCISE_ARGS = $(N) $(if $(TRACK),--track=$(TRACK))

.PHONY: exercise
exercise: node_modules ## Print exercise N's task and make your copy of its starter (exercises/NN-name/ts or c)
	@$(EXERCISE) exercise $(EXERCISE_ARGS)

.PHONY: check
check: preflight node_modules ## Check exercise N in the workbench, in the lab's namespace: ok or why not, per criterion
	@$(EXERCISE) check $(EXERCISE_ARGS) $(if $(SOURCE),--source=$(SOURCE))

.PHONY: hint
hint: node_modules ## The next hint for exercise N
	@$(EXERCISE) hint $(N)

.PHONY: solve
solve: node_modules ## Put exercise N's reference solution in place (your file is kept as .mine)
	@$(EXERCISE) solve $(EXERCISE_ARGS)

.PHONY: reset
reset: node_modules ## Put exercise N's starter back (your file is kept as .mine)
	@$(EXERCISE) reset $(EXERCISE_ARGS)

.PHONY: workbench
workbench: preflight ## Build the workbench image (gcc, tsx, gdb) that make check and make gdb use: before a workshop
	$(COMPOSE) --profile workbench build workbench

.PHONY: progress
progress: preflight node_modules ## Which exercises you have started pass their checks
	@$(EXERCISE) progress

##@ Workshop handouts

.PHONY: handouts
handouts: node_modules ## Render docs/handouts to HTML in out/handouts (and PDF where Chromium is installed)
	npm run --silent handouts -- render

.PHONY: check-handouts
check-handouts: preflight node_modules ## Run the handouts' commands against the lab, compare the output (stops a running lab)
	npm run --silent handouts -- check $(HANDOUTS)

##@ Workshops without internet

.PHONY: offline-images
offline-images: ## Make base images from Debian packages and fill docker/npm-cache (Linux host, root)
	scripts/offline-images.sh --arch $(ARCH)
	scripts/npm-cache.sh --arch $(ARCH)

.PHONY: save
save: ## Write the built lab image to $(SAVE_FILE), to carry to machines without internet
	@mkdir -p "$(dir $(SAVE_FILE))"
	docker image save --output $(SAVE_FILE) $(IMAGE)
	@ls -lh $(SAVE_FILE)

.PHONY: load
load: ## Load the lab image from $(SAVE_FILE); then `make up UP_FLAGS=` runs it without building
	docker image load --input $(SAVE_FILE)

##@ Help

.PHONY: server-running
server-running:
	@[ -n "$$($(COMPOSE) ps --status running --quiet server 2>/dev/null)" ] || { echo "error: the lab's server is not running: start it with 'make up', then run this again." >&2; exit 1; }

ifdef NPM_CACHE_STAMP
$(NPM_CACHE_STAMP): package-lock.json
	scripts/npm-cache.sh --arch $(ARCH)
endif

.PHONY: preflight
preflight: $(NPM_CACHE_STAMP)
	@scripts/lab/preflight.sh

.PHONY: help
help: ## List the targets and the variables you can override
	@if [ -t 1 ] && [ -z "$${NO_COLOR:-}" ]; then c='\033[36m' b='\033[1m' r='\033[0m'; else c= b= r=; fi; \
	 awk -v c="$$c" -v b="$$b" -v r="$$r" 'BEGIN { FS = ":.*##"; printf "Usage: make %s<target>%s [VARIABLE=value]\n", c, r } \
	  /^[a-zA-Z_-]+:.*##/ { printf "  %s%-16s%s %s\n", c, $$1, r, $$2 } \
	  /^##@/ { printf "\n%s%s%s\n", b, substr($$0, 5), r }' $(MAKEFILE_LIST)
	@echo; echo "Variables:"; awk '/^[A-Z_]+ \?=.*##/ { split($$0, a, "##"); sub(/[ \t]+$$/, "", a[1]); printf "  %-40s %s\n", a[1], a[2] }' $(MAKEFILE_LIST)
