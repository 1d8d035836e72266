from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ota.helpers import Repo, build_template, make_repo
from tests.ota.server import RepoServer


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "release")


@pytest.fixture
def repo(tmp_path: Path, template: Path) -> Repo:
    return make_repo(tmp_path, template)


@pytest.fixture
def server(repo: Repo) -> Iterator[RepoServer]:
    with RepoServer(repo.store.root) as s:
        yield s
