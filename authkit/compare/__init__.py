"""``authkit compare`` and ``authkit report``: every variant measured side by side.

The modules each do one job: :mod:`.targets` (what is measured: variants and their bare
baselines), :mod:`.measure` (CPU, memory and storage-call readings), :mod:`.loadgen`
(Locust and wrk), :mod:`.probes` (storage calls per endpoint, credential sizes,
revocation windows), :mod:`.verification` (the contract check before measuring),
:mod:`.runner` (the options, and the run wiring the parts: :mod:`.plan` the steps and
their estimates, :mod:`.rounds` serving and measuring, :mod:`.probing` the probe of each
variant, :mod:`.extras` cost and audit, :mod:`.document` the results), :mod:`.results`
(the versioned ``results.json``), :mod:`.restart_loss` (what a cache restart loses),
:mod:`.aggregate`, :mod:`.charts`, :mod:`.render` (summary.md, report.html, the table).
"""
