"""Helpers for the HTML report's tests: the page's tags and attributes, parsed."""

from html.parser import HTMLParser

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "html"


class Page(HTMLParser):
    """Every start tag with its attributes, and the text outside tags (unescaped)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def count(self, tag: str, css: str | None = None) -> int:
        return sum(
            1
            for name, attrs in self.tags
            if name == tag and (css is None or css in (attrs.get("class") or "").split())
        )
