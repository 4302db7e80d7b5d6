"""What gunicorn loads: ``gunicorn jwt_api.wsgi:app`` (``JWT_MODE`` picks the mode)."""

from jwt_api.app import create_app

app = create_app()
