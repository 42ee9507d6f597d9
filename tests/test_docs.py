"""docs/querying.md: every Python example runs and prints exactly the output shown under it."""

import contextlib
import io
import os
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "querying.md"
PAIR = re.compile(r"```python\n((?:(?!```).)*)```\n\n```text\n((?:(?!```).)*)```", re.S)
SETUP = re.compile(r"```python\n(.*?)```", re.S)


def test_querying_examples_print_what_the_page_says():
    text = DOC.read_text(encoding="utf-8")
    namespace: dict = {}
    exec(SETUP.search(text).group(1), namespace)  # the page's first block: imports and base
    pairs = list(PAIR.finditer(text))
    assert len(pairs) >= 10
    outputs = []
    for match in pairs:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(match.group(1), namespace)
        outputs.append(buf.getvalue())
    if os.environ.get("KB_UPDATE_DOCS"):
        it = iter(outputs)
        DOC.write_text(PAIR.sub(lambda m: f"```python\n{m.group(1)}```\n\n```text\n{next(it)}```",
                                text), encoding="utf-8")
        return
    for match, output in zip(pairs, outputs, strict=True):
        assert output == match.group(2), match.group(1)
        assert output.strip(), "an example must print something"
