# Generated from gears/csv-profiler/src/docker/manifest.json by
#   ./pants run common/src/python/polygear/apppkg:generate -- gears/*/src/docker/manifest.json
# Do not edit: change the manifest and regenerate.
cwlVersion: v1.2
$namespaces:
  s: https://schema.org/
s:name: csv-profiler
s:softwareVersion: 0.1.0
s:description: 'Profiles a CSV or TSV table in one streaming pass: per column the inferred type (integer,
  float, boolean, date, string), missing and distinct counts (exact up to a bound, HyperLogLog beyond),
  min/max/mean/std and quantiles for numbers, top values for categories, and a Pearson correlation matrix
  of the numeric columns. Writes a JSON profile and a self-contained HTML report with a histogram per
  numeric column, and a short summary into the input file''s metadata.'
s:author:
- class: s:Person
  s:name: polygear contributors
s:maintainer:
- class: s:Person
  s:name: polygear contributors
s:license: MIT
s:codeRepository: https://github.com/polygear/polygear/tree/main/gears/csv-profiler
s:url: https://github.com/polygear/polygear/tree/main/gears/csv-profiler
s:keywords:
- csv-profiler
- polygear
$graph:
- class: Workflow
  id: csv-profiler
  label: 'CSV Profiler: column types, statistics and correlations'
  doc: 'Profiles a CSV or TSV table in one streaming pass: per column the inferred type (integer, float,
    boolean, date, string), missing and distinct counts (exact up to a bound, HyperLogLog beyond), min/max/mean/std
    and quantiles for numbers, top values for categories, and a Pearson correlation matrix of the numeric
    columns. Writes a JSON profile and a self-contained HTML report with a histogram per numeric column,
    and a short summary into the input file''s metadata.'
  inputs:
    table:
      type: File
      label: Table
      doc: The CSV or TSV file to profile (UTF-8, first row is the header).
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
    max_exact_distinct:
      type: int?
      label: Max exact distinct
      doc: Count distinct values exactly up to this many per column; beyond, estimate them (HyperLogLog,
        about 1.6% error).
      default: 10000
    top_n:
      type: int?
      label: Top n
      doc: How many most frequent values to report for non-numeric columns.
      default: 10
    sample_size:
      type: int?
      label: Sample size
      doc: Reservoir size for quantiles and histograms; exact when a column has no more values than this.
      default: 100000
    bins:
      type: int?
      label: Bins
      doc: Histogram bins per numeric column.
      default: 20
    debug:
      type: boolean?
      label: Debug
      doc: Log at debug level.
      default: false
  outputs:
    profile:
      type:
        type: array
        items: File
      label: Profile
      doc: The profile (JSON).
      outputSource: run/profile
    report:
      type:
        type: array
        items: File
      label: Report
      doc: The HTML report with histograms.
      outputSource: run/report
  steps:
    run:
      label: Run csv-profiler
      doc: csv-profiler 0.1.0 on the inputs above.
      run: '#csv-profiler-tool'
      in:
        table: table
        delimiter: delimiter
        max_exact_distinct: max_exact_distinct
        top_n: top_n
        sample_size: sample_size
        bins: bins
        debug: debug
      out:
      - profile
      - report
- class: CommandLineTool
  id: csv-profiler-tool
  label: 'CSV Profiler: column types, statistics and correlations'
  doc: The command-line mode of csv-profiler's entry point.
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
      dockerPull: polygear/csv-profiler:0.1.0
  inputs:
    table:
      type: File
      label: Table
      doc: The CSV or TSV file to profile (UTF-8, first row is the header).
      inputBinding:
        prefix: -i
        valueFrom: table=$(self.path)
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
    max_exact_distinct:
      type: int?
      label: Max exact distinct
      doc: Count distinct values exactly up to this many per column; beyond, estimate them (HyperLogLog,
        about 1.6% error).
      default: 10000
      inputBinding:
        prefix: -c
        valueFrom: max_exact_distinct=$(self)
    top_n:
      type: int?
      label: Top n
      doc: How many most frequent values to report for non-numeric columns.
      default: 10
      inputBinding:
        prefix: -c
        valueFrom: top_n=$(self)
    sample_size:
      type: int?
      label: Sample size
      doc: Reservoir size for quantiles and histograms; exact when a column has no more values than this.
      default: 100000
      inputBinding:
        prefix: -c
        valueFrom: sample_size=$(self)
    bins:
      type: int?
      label: Bins
      doc: Histogram bins per numeric column.
      default: 20
      inputBinding:
        prefix: -c
        valueFrom: bins=$(self)
    debug:
      type: boolean?
      label: Debug
      doc: Log at debug level.
      default: false
      inputBinding:
        prefix: -c
        valueFrom: debug=$(self)
  outputs:
    profile:
      type:
        type: array
        items: File
      label: Profile
      doc: The profile (JSON).
      outputBinding:
        glob: '*_profile.json'
    report:
      type:
        type: array
        items: File
      label: Report
      doc: The HTML report with histograms.
      outputBinding:
        glob: '*_profile.html'
