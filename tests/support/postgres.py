"""Throw-away databases on the real PostgreSQL of this machine (127.0.0.1:5432, trust auth).

Each test session makes its own ``hub_test_<random>`` database from the ``test`` database and drops
it at the end, so parallel runs and leftovers never collide.
"""

from __future__ import annotations

import secrets

import psycopg

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def available() -> bool:
    try:
        with psycopg.connect(ADMIN_DSN, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def create_database() -> str:
    """Create an empty database; return its SQLAlchemy URL."""
    name = f"hub_test_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
