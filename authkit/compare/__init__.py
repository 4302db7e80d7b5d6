"""``authkit compare`` and ``authkit report``: every variant measured side by side.

The modules each do one job: :mod:`.targets` (what is measured: variants and their bare
baselines), :mod:`.measure` (CPU, memory and storage-call readings), :mod:`.loadgen`
(Locust and wrk), :mod:`.probes` (storage calls per endpoint, credential sizes,
revocation windows), :mod:`.verification` (the contract check before measuring),
:mod:`.runner` (the rounds), :mod:`.results` (the versioned ``results.json``),
:mod:`.aggregate`, :mod:`.charts`, :mod:`.render` (summary.md, report.html, the table).
"""
