"""Platform-neutral core: what a tool is, how its inputs bind, how a run stages its outputs."""
