"""``/api/v1/kb/...`` and ``kefu kb``: search and read the help center from outside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from kefu.knowledge.content import read_content
from kefu.knowledge.services import load_content
from kefu.knowledge.tests.factories import article
from kefu.nlu.model import Model

pytestmark = pytest.mark.django_db


def test_search_endpoint(client: Client, live_model: Model) -> None:
    load_content()
    params: dict[str, str | int] = {"q": "我的充值还没到账", "limit": 3}
    response = client.get("/api/v1/kb/search", params)
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "zh"
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert "deposit.not_credited" in first["intents"]
    assert first["url"] == f"/help/a/{first['slug']}/"
    assert any("\u4e00" <= c <= "\u9fff" for c in first["title"])


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 500}, {"q": "x" * 501}]
)
def test_search_endpoint_rejects_bad_input(client: Client, params: dict[str, str | int]) -> None:
    response = client.get("/api/v1/kb/search", params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_article_endpoint_reads_published_articles_only(client: Client) -> None:
    published = article()
    article(slug="a-draft", publish=False)
    body = client.get(f"/api/v1/kb/articles/{published.slug}", {"language": "zh"}).json()
    assert body["title"] == "充值为什么还没到账？"
    assert body["steps"] == ["打开资产 → 账单记录。", "对比确认数。"]
    assert "<strong>" in body["body_html"]
    assert client.get("/api/v1/kb/articles/a-draft").status_code == 404
    assert client.get("/api/v1/kb/articles/nope").json()["code"] == "not_found"


def kefu(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment["KEFU_DATA_DIR"] = str(tmp_path / "data")
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kefu.cli", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_kb_command_line(tmp_path: Path) -> None:
    loaded = kefu(tmp_path, "kb", "load")
    assert loaded.returncode == 0, loaded.stderr
    assert f"{len(read_content().articles)} new, 0 updated, 0 unchanged" in loaded.stdout
    found = kefu(tmp_path, "kb", "search", "withdrawal fee on TRC20", "--json", "--limit", "3")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout.strip().splitlines()[-1])["results"]
    assert len(results) == 3
    assert set(results[0]) >= {"slug", "title", "intents", "score"}
    assert "withdrawal.limits_fees" in results[0]["intents"]
    missing = kefu(tmp_path, "kb", "load", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "not a directory" in missing.stderr
