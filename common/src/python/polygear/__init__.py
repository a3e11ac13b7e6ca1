"""polygear: write a research tool once, publish it to every research platform.

Layers (one-way imports, enforced by Pants' visibility rules; see docs/architecture.md):
`core` (what a tool is, binding, staged runs, lint framework) <- one package per platform
(`flywheel`, `klms`, ...) <- `entry` (picks the adapter from argv) and `lint` (runs every rule).
`testing` and `dev` serve tests and developers; runtime code never imports them.
"""
