# Shared Makefile for every gear (each gears/<name>/Makefile includes this file).
#
#   make build                 build the image with Pants (pex + docker_image)
#   make push                  build, tag as IMGTAG and push (the KLMS tool template's make-push workflow)
#   make push IMGTAG=jsmith/footool:1.0.0
#   make -n push               show the commands without running them
#
# Name, version and image come from the gear's manifest.json: nothing is repeated here.

GEAR_DIR := $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))
GEAR     := $(notdir $(GEAR_DIR))
ROOT     := $(abspath $(GEAR_DIR)/../..)
MANIFEST := $(GEAR_DIR)/src/docker/manifest.json
IMAGE    := $(shell python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["custom"]["gear-builder"]["image"])' $(MANIFEST))
IMGTAG   ?= $(IMAGE)
# docker when a daemon answers, else podman (what ./pants builds with on such machines).
DOCKER   ?= $(or $(shell bash $(ROOT)/build-support/container/engine.sh),docker)

ifeq ($(IMAGE),)
$(error $(MANIFEST): expected custom.gear-builder.image in the manifest)
endif

.PHONY: build push print-image
build:
	cd $(ROOT) && ./pants package gears/$(GEAR)/src/docker:$(GEAR)
ifneq ($(IMGTAG),$(IMAGE))
	$(DOCKER) tag $(IMAGE) $(IMGTAG)
endif

push: build
	$(DOCKER) push $(IMGTAG)

print-image:
	@echo $(IMGTAG)
