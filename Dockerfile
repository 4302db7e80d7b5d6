# One image for every variant and for Locust; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 AUTHKIT_CACHE_DIR=/var/cache/authkit
WORKDIR /app
# nginx: the buffering front `authkit serve` puts before gunicorn (authkit/front.py).
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY authkit ./authkit
COPY shared ./shared
COPY flask_sessions ./flask_sessions
COPY flask_cookie ./flask_cookie
COPY django_sessions ./django_sessions
COPY jwt_api ./jwt_api
COPY loadtests ./loadtests
COPY tests ./tests
RUN pip install --no-cache-dir . && useradd --create-home authkit \
    && mkdir -p /var/cache/authkit /data && chown authkit /var/cache/authkit /data
USER authkit
EXPOSE 8000
CMD ["authkit", "--help"]
