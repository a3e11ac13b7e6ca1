# Generated from gears/schema-validator/src/docker/manifest.json by
#   ./pants run common/src/python/polygear/apppkg:generate -- gears/*/src/docker/manifest.json
# Do not edit: change the manifest and regenerate.
cwlVersion: v1.2
$namespaces:
  s: https://schema.org/
s:name: schema-validator
s:softwareVersion: 0.1.0
s:description: 'Validates JSON, JSON Lines, YAML, CSV or TSV records against a JSON Schema given as a
  second input file. Writes a JSON report listing every violation with its record number, source line
  and JSON pointer, and records the status (valid, invalid or empty) on the input file''s metadata. Invalid
  data is a result, not a failure: the job succeeds.'
s:author:
- class: s:Person
  s:name: polygear contributors
s:maintainer:
- class: s:Person
  s:name: polygear contributors
s:license: MIT
s:codeRepository: https://github.com/polygear/polygear/tree/main/gears/schema-validator
s:url: https://github.com/polygear/polygear/tree/main/gears/schema-validator
s:keywords:
- schema-validator
- polygear
$graph:
- class: Workflow
  id: schema-validator
  label: 'Schema Validator: check records against a JSON Schema'
  doc: 'Validates JSON, JSON Lines, YAML, CSV or TSV records against a JSON Schema given as a second input
    file. Writes a JSON report listing every violation with its record number, source line and JSON pointer,
    and records the status (valid, invalid or empty) on the input file''s metadata. Invalid data is a
    result, not a failure: the job succeeds.'
  inputs:
    records:
      type: File
      label: Records
      doc: 'The records to validate: .json (an array of records or one record), .jsonl/.ndjson, .yaml/.yml
        (one record per document, or one list), .csv or .tsv (one record per row).'
    schema:
      type: File
      label: Schema
      doc: The JSON Schema (JSON or YAML; $schema selects the draft, 2020-12 by default).
    format:
      type:
      - 'null'
      - type: enum
        symbols:
        - auto
        - json
        - jsonl
        - yaml
        - csv
        - tsv
      label: Format
      doc: Format of the records file; 'auto' decides by file extension.
      default: auto
    max_errors:
      type: long?
      label: Max errors
      doc: Keep at most this many violations in the report (all are still counted).
      default: 10000
    debug:
      type: boolean?
      label: Debug
      doc: Log at debug level.
      default: false
  outputs:
    report:
      type:
        type: array
        items: File
      label: Report
      doc: The validation report (JSON).
      outputSource: run/report
  steps:
    run:
      label: Run schema-validator
      doc: schema-validator 0.1.0 on the inputs above.
      run: '#schema-validator-tool'
      in:
        records: records
        schema: schema
        format: format
        max_errors: max_errors
        debug: debug
      out:
      - report
- class: CommandLineTool
  id: schema-validator-tool
  label: 'Schema Validator: check records against a JSON Schema'
  doc: The command-line mode of schema-validator's entry point.
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
      dockerPull: polygear/schema-validator:0.1.0
  inputs:
    records:
      type: File
      label: Records
      doc: 'The records to validate: .json (an array of records or one record), .jsonl/.ndjson, .yaml/.yml
        (one record per document, or one list), .csv or .tsv (one record per row).'
      inputBinding:
        prefix: -i
        valueFrom: records=$(self.path)
    schema:
      type: File
      label: Schema
      doc: The JSON Schema (JSON or YAML; $schema selects the draft, 2020-12 by default).
      inputBinding:
        prefix: -i
        valueFrom: schema=$(self.path)
    format:
      type:
      - 'null'
      - type: enum
        symbols:
        - auto
        - json
        - jsonl
        - yaml
        - csv
        - tsv
      label: Format
      doc: Format of the records file; 'auto' decides by file extension.
      default: auto
      inputBinding:
        prefix: -c
        valueFrom: format=$(self)
    max_errors:
      type: long?
      label: Max errors
      doc: Keep at most this many violations in the report (all are still counted).
      default: 10000
      inputBinding:
        prefix: -c
        valueFrom: max_errors=$(self)
    debug:
      type: boolean?
      label: Debug
      doc: Log at debug level.
      default: false
      inputBinding:
        prefix: -c
        valueFrom: debug=$(self)
  outputs:
    report:
      type:
        type: array
        items: File
      label: Report
      doc: The validation report (JSON).
      outputBinding:
        glob: '*_validation.json'
