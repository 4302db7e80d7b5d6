"""``authkit cost``: what each request costs, in counts that two runs agree on.

For every variant, every bare baseline and every endpoint of the journey, in process
through the variant's real WSGI app against its real private stores: user-space
instructions (callgrind), system calls (strace), store calls, and CPU time with its spread;
the login split into argon2 and the rest; and each variant's ``GET /me`` overhead over its
baseline taken apart into parts measured alone. See :mod:`.runner` (how), :mod:`.driver`
(the in-process loop), :mod:`.meters` (the counters), :mod:`.parts` and
:mod:`.attribution` (the split), :mod:`.report` (rows, table, chart).

For another report: ``run_cost(targets, settings)`` returns the document and
``compare_section(document, chart)`` what a report section needs.
"""

from authkit.cost.report import compare_section, draw_attribution, report_rows
from authkit.cost.runner import Settings, max_deviation, run_cost

__all__ = [
    "Settings",
    "compare_section",
    "draw_attribution",
    "max_deviation",
    "report_rows",
    "run_cost",
]
