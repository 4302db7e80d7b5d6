"""The WSGI entry point gunicorn serves: ``gunicorn flask_cookie.wsgi:app``."""

from flask_cookie import create_app

app = create_app()
