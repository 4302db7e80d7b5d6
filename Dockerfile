# One image for every variant, the contract suite, `authkit compare` and Locust;
# docker-compose.yml picks the command. Plain Dockerfile syntax (no BuildKit features), so
# the classic builder of any Docker 20.10+ engine builds it as well as buildx does.
#
# PYTHON_IMAGE is the base image, pinned; `make test-compose` builds a local stand-in under
# the same name (no registry there), which is why it is a variable and not a literal.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 AUTHKIT_CACHE_DIR=/var/cache/authkit \
    PYTEST_ADDOPTS="-p no:cacheprovider" MPLCONFIGDIR=/tmp/matplotlib
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
RUN pip install --no-cache-dir . && useradd --create-home --uid 1000 authkit \
    && mkdir -p /var/cache/authkit /data /app/reports \
    && chown authkit /var/cache/authkit /data /app/reports
USER authkit

# The seed users' argon2id hashes, computed once here instead of by every container at
# start (1,002 hashes take a 2-core machine most of a minute). shared/users.py keeps them
# in $AUTHKIT_CACHE_DIR, one file per hash-parameter set; a container started with more
# users or other ARGON2_* settings hashes only what the file lacks. They are hashes of the
# public demo passwords, so baking them into the image discloses nothing.
ARG SEED_LOAD_USERS=1000
RUN SEED_LOAD_USERS=${SEED_LOAD_USERS} python -c \
    "from shared.users import seed_password_hashes; seed_password_hashes()"

EXPOSE 8000
CMD ["authkit", "--help"]
