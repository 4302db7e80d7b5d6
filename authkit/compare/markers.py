"""The lines the locustfile prints around its measured window, read by the runner.

Both sides import them from here, so the two can never drift apart.
"""

MEASURE_START = "AUTHKIT-MEASURE-START"
MEASURE_END = "AUTHKIT-MEASURE-END"
