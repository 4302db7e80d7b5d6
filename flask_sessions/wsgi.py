"""The WSGI entry point gunicorn serves: ``gunicorn flask_sessions.wsgi:app``."""

from flask_sessions import create_app

app = create_app()
