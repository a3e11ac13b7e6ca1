"""polygear: write a research tool once, run it as a Flywheel gear and as a KLMS tool.

`engine` adapts a platform's runtime contract to a gear's pure `main.run`; `manifest`, `config` and
`lint` keep the descriptors honest; `devtools` holds the developer commands (local run, bump, upload).
"""
