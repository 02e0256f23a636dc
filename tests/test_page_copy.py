"""The page and API copy name the article from the corpus metadata, so another article gets its own."""

from __future__ import annotations

from colnato_qa.corpus import parse_document

OTHER = parse_document(
    "---\ntitle: Lighthouses of the North: A Short History\nauthor: Ana Ruiz\npublisher: The Harbour Post\n---\n\n"
    "# Lighthouses of the North: A Short History\n\nThe first light was lit in 1872.\n")


def test_api_description_names_the_corpus_article():
    from colnato_qa.web.server import api_description

    text = api_description([OTHER])
    assert "“Lighthouses of the North: A Short History”" in text
    assert "The Harbour Post" in text and "by Ana Ruiz" in text


def test_api_description_without_author_or_publisher():
    from colnato_qa.web.server import api_description

    bare = parse_document("# Tides\n\nThe tide turns twice a day.\n")
    assert "“Tides”" in api_description([bare]) and "by " not in api_description([bare])


def test_page_title_is_the_article_title_before_its_subtitle():
    from colnato_qa.web.chat_ui import page_title

    assert page_title([OTHER]) == "Ask the article: Lighthouses of the North"
    assert page_title([OTHER, OTHER]) == "Ask the articles"


def test_served_copy_is_the_loaded_corpus(engine, tmp_path):
    from fastapi.testclient import TestClient

    from colnato_qa.web.server import create_app

    doc = engine.documents[0]
    app = create_app(engine, allowed_origins=[], feedback_path=tmp_path / "f.jsonl")
    with TestClient(app, base_url="http://localhost") as client:   # a host the server answers to
        description = client.get("/openapi.json").json()["info"]["description"]
        page = client.get("/").text
    assert doc.title in description and doc.author in description and doc.publisher in description
    assert doc.title.split(":")[0] in page
