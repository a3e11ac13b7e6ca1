# Generated from gears/csv-splitter/src/docker/manifest.json by
#   ./pants run common/src/python/polygear/apppkg:generate -- gears/*/src/docker/manifest.json
# Do not edit: change the manifest and regenerate.
cwlVersion: v1.2
$namespaces:
  s: https://schema.org/
s:name: csv-splitter
s:softwareVersion: 0.1.0
s:description: Splits a CSV or TSV table into one file per distinct value of a key column (for example
  one file per site or per subject). Streams the input, so memory use does not grow with file size. Reports
  ragged rows, missing columns, empty files and non-UTF-8 input by line.
s:author:
- class: s:Person
  s:name: polygear contributors
s:maintainer:
- class: s:Person
  s:name: polygear contributors
s:license: MIT
s:codeRepository: https://github.com/polygear/polygear/tree/main/gears/csv-splitter
s:url: https://github.com/polygear/polygear/tree/main/gears/csv-splitter
s:keywords:
- csv-splitter
- polygear
$graph:
- class: Workflow
  id: csv-splitter
  label: 'CSV Splitter: one file per key value'
  doc: Splits a CSV or TSV table into one file per distinct value of a key column (for example one file
    per site or per subject). Streams the input, so memory use does not grow with file size. Reports ragged
    rows, missing columns, empty files and non-UTF-8 input by line.
  inputs:
    table:
      type: File
      label: Table
      doc: The CSV or TSV file to split (UTF-8, first row is the header).
    column:
      type: string
      label: Column
      doc: Name of the key column (as written in the header). One output file is written per distinct
        value.
    delimiter:
      type:
      - 'null'
      - type: enum
        symbols:
        - auto
        - comma
        - tab
        - semicolon
        - pipe
      label: Delimiter
      doc: Field delimiter. 'auto' uses tab for .tsv/.tab files and comma otherwise.
      default: auto
    output_pattern:
      type: string?
      label: Output pattern
      doc: 'Output file name pattern. Fields: {stem} and {suffix} of the input file name, {column}, and
        {value} (required; made file-name safe).'
      default: '{stem}_{value}{suffix}'
    keep_key_column:
      type: boolean?
      label: Keep key column
      doc: Keep the key column in the output files.
      default: true
    debug:
      type: boolean?
      label: Debug
      doc: Log at debug level.
      default: false
  outputs:
    parts:
      type:
        type: array
        items: File
      label: Parts
      doc: One file per distinct key value.
      outputSource: run/parts
  steps:
    run:
      label: Run csv-splitter
      doc: csv-splitter 0.1.0 on the inputs above.
      run: '#csv-splitter-tool'
      in:
        table: table
        column: column
        delimiter: delimiter
        output_pattern: output_pattern
        keep_key_column: keep_key_column
        debug: debug
      out:
      - parts
- class: CommandLineTool
  id: csv-splitter-tool
  label: 'CSV Splitter: one file per key value'
  doc: The command-line mode of csv-splitter's entry point.
  baseCommand:
  - /bin/run
  arguments:
  - --output-dir
  - $(runtime.outdir)
  requirements:
    ResourceRequirement:
      coresMin: 1
      coresMax: 1
      ramMin: 256
      ramMax: 1024
  hints:
    DockerRequirement:
      dockerPull: polygear/csv-splitter:0.1.0
  inputs:
    table:
      type: File
      label: Table
      doc: The CSV or TSV file to split (UTF-8, first row is the header).
      inputBinding:
        prefix: -i
        valueFrom: table=$(self.path)
    column:
      type: string
      label: Column
      doc: Name of the key column (as written in the header). One output file is written per distinct
        value.
      inputBinding:
        prefix: -c
        valueFrom: column=$(self)
    delimiter:
      type:
      - 'null'
      - type: enum
        symbols:
        - auto
        - comma
        - tab
        - semicolon
        - pipe
      label: Delimiter
      doc: Field delimiter. 'auto' uses tab for .tsv/.tab files and comma otherwise.
      default: auto
      inputBinding:
        prefix: -c
        valueFrom: delimiter=$(self)
    output_pattern:
      type: string?
      label: Output pattern
      doc: 'Output file name pattern. Fields: {stem} and {suffix} of the input file name, {column}, and
        {value} (required; made file-name safe).'
      default: '{stem}_{value}{suffix}'
      inputBinding:
        prefix: -c
        valueFrom: output_pattern=$(self)
    keep_key_column:
      type: boolean?
      label: Keep key column
      doc: Keep the key column in the output files.
      default: true
      inputBinding:
        prefix: -c
        valueFrom: keep_key_column=$(self)
    debug:
      type: boolean?
      label: Debug
      doc: Log at debug level.
      default: false
      inputBinding:
        prefix: -c
        valueFrom: debug=$(self)
  outputs:
    parts:
      type:
        type: array
        items: File
      label: Parts
      doc: One file per distinct key value.
      outputBinding:
        glob: '*'
