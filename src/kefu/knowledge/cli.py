"""``kefu kb ...``: search the knowledge base and load the content files.

    kefu kb search "QUERY" [--limit N] [--language en|zh] [--json]
    kefu kb load [DIR]          load and publish content files (default: the demo's)

With ``--json`` the last line is one JSON object:
``{"results": [{"slug": ..., "title": ..., "intents": [...], "score": ...}, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_commands(commands: Any) -> None:
    kb = commands.add_parser("kb", help="search the knowledge base, load content files")
    actions = kb.add_subparsers(dest="action", required=True)
    search = actions.add_parser("search", help="print the articles that best answer a question")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--language", choices=["en", "zh"], help="language of the titles")
    search.add_argument("--json", action="store_true", help="one JSON object as the last line")
    load = actions.add_parser("load", help="load and publish knowledge-base content files")
    load.add_argument("directory", nargs="?", type=Path, help="default: the demo's content")


def run(arguments: argparse.Namespace) -> int:
    if arguments.action == "search":
        return _search(arguments)
    return _load(arguments)


def _search(arguments: argparse.Namespace) -> int:
    from kefu.knowledge.search import search_articles
    from kefu.nlu.language import detect_language

    if not 1 <= arguments.limit <= 50:
        print("--limit must be between 1 and 50", file=sys.stderr)
        return 2
    language = arguments.language or (
        "zh" if detect_language(arguments.query).code == "zh" else "en"
    )
    hits = search_articles(arguments.query, limit=arguments.limit, language=language)
    if not hits:
        print("No articles found." if language == "en" else "没有找到相关文章。")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. {hit.title}  [{hit.slug}]  {hit.score:.4f}  {', '.join(hit.intents)}")
    if arguments.json:
        results = [
            {
                "slug": hit.slug,
                "title": hit.title,
                "intents": list(hit.intents),
                "score": hit.score,
                "lexical": hit.lexical,
                "semantic": hit.semantic,
                "intent": hit.intent,
            }
            for hit in hits
        ]
        print(json.dumps({"results": results}, ensure_ascii=False))
    return 0


def _load(arguments: argparse.Namespace) -> int:
    from kefu.knowledge.content import CONTENT_DIR
    from kefu.knowledge.errors import ContentFileError
    from kefu.knowledge.services import load_content

    directory = arguments.directory or CONTENT_DIR
    if not directory.is_dir():
        print(f"kefu kb load: {directory} is not a directory", file=sys.stderr)
        return 2
    try:
        report = load_content(directory)
    except ContentFileError as error:
        print(f"kefu kb load: {error}", file=sys.stderr)
        return 1
    from kefu.knowledge.search import current_index

    current_index()  # embed the new passages now, not on the first search
    print(
        f"{report.categories} categories; articles: {report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )
    return 0
