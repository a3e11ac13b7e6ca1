# Generated from gears/column-report/src/docker/manifest.json by
#   ./pants run common/src/python/polygear/apppkg:generate -- gears/*/src/docker/manifest.json
# Do not edit: change the manifest and regenerate.
cwlVersion: v1.2
$namespaces:
  s: https://schema.org/
s:name: column-report
s:softwareVersion: 0.1.0
s:description: 'Runs a Jupyter notebook (src/notebook/process.ipynb) with papermill: reads one numeric
  column of a CSV or TSV table and writes its summary statistics (count, missing, mean, std, min, quartiles,
  max) as JSON, a histogram as PNG, and the executed notebook. The notebook''s parameters cell is the
  tool''s interface.'
s:author:
- class: s:Person
  s:name: polygear contributors
s:maintainer:
- class: s:Person
  s:name: polygear contributors
s:license: MIT
s:codeRepository: https://github.com/polygear/polygear/tree/main/gears/column-report
s:url: https://github.com/polygear/polygear/tree/main/gears/column-report
s:keywords:
- column-report
- polygear
$graph:
- class: Workflow
  id: column-report
  label: 'Column report: summary statistics and a histogram of a CSV column (a notebook tool)'
  doc: 'Runs a Jupyter notebook (src/notebook/process.ipynb) with papermill: reads one numeric column
    of a CSV or TSV table and writes its summary statistics (count, missing, mean, std, min, quartiles,
    max) as JSON, a histogram as PNG, and the executed notebook. The notebook''s parameters cell is the
    tool''s interface.'
  inputs:
    table:
      type: File
      label: Table
      doc: The CSV or TSV table (UTF-8, first row is the header).
    column:
      type: string?
      label: Column
      doc: The numeric column to summarise and plot.
      default: value
    bins:
      type: int?
      label: Bins
      doc: Number of histogram bins.
      default: 20
    title:
      type: string?
      label: Title
      doc: 'Plot title (empty: the column name).'
      default: ''
  outputs:
    summary:
      type:
        type: array
        items: File
      label: Summary
      doc: Summary statistics of the column (JSON).
      outputSource: run/summary
    plot:
      type:
        type: array
        items: File
      label: Plot
      doc: Histogram of the column (PNG).
      outputSource: run/plot
    notebook:
      type:
        type: array
        items: File
      label: Notebook
      doc: The notebook as it ran, with its outputs.
      outputSource: run/notebook
  steps:
    run:
      label: Run column-report
      doc: column-report 0.1.0 on the inputs above.
      run: '#column-report-tool'
      in:
        table: table
        column: column
        bins: bins
        title: title
      out:
      - summary
      - plot
      - notebook
- class: CommandLineTool
  id: column-report-tool
  label: 'Column report: summary statistics and a histogram of a CSV column (a notebook tool)'
  doc: The command-line mode of column-report's entry point.
  baseCommand:
  - /bin/run
  arguments:
  - --output-dir
  - $(runtime.outdir)
  requirements:
    ResourceRequirement:
      coresMin: 1
      coresMax: 1
      ramMin: 512
      ramMax: 2048
  hints:
    DockerRequirement:
      dockerPull: polygear/column-report:0.1.0
  inputs:
    table:
      type: File
      label: Table
      doc: The CSV or TSV table (UTF-8, first row is the header).
      inputBinding:
        prefix: -i
        valueFrom: table=$(self.path)
    column:
      type: string?
      label: Column
      doc: The numeric column to summarise and plot.
      default: value
      inputBinding:
        prefix: -c
        valueFrom: column=$(self)
    bins:
      type: int?
      label: Bins
      doc: Number of histogram bins.
      default: 20
      inputBinding:
        prefix: -c
        valueFrom: bins=$(self)
    title:
      type: string?
      label: Title
      doc: 'Plot title (empty: the column name).'
      default: ''
      inputBinding:
        prefix: -c
        valueFrom: title=$(self)
  outputs:
    summary:
      type:
        type: array
        items: File
      label: Summary
      doc: Summary statistics of the column (JSON).
      outputBinding:
        glob: summary.json
    plot:
      type:
        type: array
        items: File
      label: Plot
      doc: Histogram of the column (PNG).
      outputBinding:
        glob: histogram.png
    notebook:
      type:
        type: array
        items: File
      label: Notebook
      doc: The notebook as it ran, with its outputs.
      outputBinding:
        glob: executed.ipynb
