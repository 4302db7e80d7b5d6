"""Load scripts for authkit: one Locust journey, one user class per auth style, baselines.

``locust -f loadtests/locustfile.py --host http://127.0.0.1:PORT`` drives any running
variant by hand (web UI included); ``authkit compare`` runs the same file headless.
"""
