"""YAML read as data: C-accelerated, YAML-1.2-like scalars, line marks for every value.

PyYAML implements YAML 1.1, under which ``NO`` (Norway) is ``False``, ``0700`` is octal and
``12:30`` is 750. The loader below keeps such scalars as strings, lets pydantic parse dates, and
refuses what a record never needs: duplicate keys, anchors and aliases, tags, several documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

MAX_BYTES = 256 * 1024

Loc = tuple[str | int, ...]

try:
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyPI wheels ship libyaml
    _Base = yaml.SafeLoader


class _KeyProblem(Exception):
    """A mapping key the fast path cannot accept; the slow path reports it with its field."""


class KBLoader(_Base):  # type: ignore[misc, valid-type]
    """CSafeLoader with YAML-1.2-style implicit types (resolvers run in Python)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        # The same answers as PyYAML's Resolver.resolve for the resolvers registered below (no
        # path or wildcard resolvers), without its general machinery: it runs for every scalar.
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return "tag:yaml.org,2002:str"
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"



def _add(tag: str, pattern: str, first: list[str]) -> None:
    KBLoader.add_implicit_resolver(tag, re.compile(pattern, re.X), first)


# Only these scalars get a non-string type; everything else stays a string.
_add("tag:yaml.org,2002:bool", r"^(?:true|false)$", list("tf"))
_add("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789"))
_add(
    "tag:yaml.org,2002:float",
    r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+|(?:0|[1-9][0-9]*)(?=[eE]))(?:[eE][-+]?[0-9]+)?$",
    list("-+0123456789."),
)
_add("tag:yaml.org,2002:null", r"^(?:~|null|)$", ["~", "n", ""])


@dataclass
class YamlIssue:
    line: int
    col: int
    code: str
    message: str
    loc: Loc = ()


@dataclass
class Parsed:
    """A parsed file: its data, where each value stands, and what was wrong.

    Line marks are worked out only when asked for (a problem is being reported), so valid files
    cost one parse.
    """

    data: Any = None
    issues: list[YamlIssue] = field(default_factory=list)
    text: str = ""
    _marks: dict[Loc, tuple[int, int]] | None = None

    @property
    def marks(self) -> dict[Loc, tuple[int, int]]:
        if self._marks is None:
            self._marks = {}
            if self.text:
                scratch = Parsed()
                _compose_and_walk(self.text, scratch)
                self._marks = scratch._marks or {}
        return self._marks

    def mark(self, loc: Loc) -> tuple[int, int]:
        """Line and column of the deepest known part of ``loc`` (1-based)."""
        marks = self.marks
        for end in range(len(loc), -1, -1):
            found = marks.get(tuple(loc[:end]))
            if found:
                return found
        return (1, 1)


def parse_bytes(raw: bytes) -> Parsed:
    """Parse one record file's bytes. Never raises for bad input: problems go in ``issues``."""
    out = Parsed()
    if len(raw) > MAX_BYTES:
        out.issues.append(
            YamlIssue(1, 1, "file-too-large",
                      f"file is {len(raw):,} bytes; a record may be at most {MAX_BYTES:,} bytes")
        )
        return out
    if raw.startswith(b"\xef\xbb\xbf"):
        out.issues.append(
            YamlIssue(1, 1, "byte-order-mark",
                      "file starts with a byte-order mark; save it as UTF-8 without BOM")
        )
        return out
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        out.issues.append(
            YamlIssue(line, 1, "not-utf8",
                      f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8")
        )
        return out
    return parse_text(text)


_TAB_INDENT = re.compile(r"^[ ]*\t", re.M)


def parse_text(text: str) -> Parsed:
    """Parse YAML text into plain data plus line marks."""
    out = Parsed()
    # `in` scans for one character at memchr speed; the patterns run only where it is found.
    tab = _TAB_INDENT.search(text) if "\t" in text else None
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        out.issues.append(
            YamlIssue(line, tab.end() - tab.start(), "tab-indent",
                      "indentation uses a tab; YAML indents with spaces only")
        )
        return out
    out.text = text
    if ("&" in text or "*" in text or "!" in text) and _MAYBE_NODE_PROPERTY.search(text):
        # Only files that could hold anchors, aliases or tags pay for the event scan; without
        # them the composed tree cannot share nodes or carry tags.
        _scan_events(text, out)
        if out.issues:
            return out
    try:
        loader = KBLoader(text)
    except yaml.YAMLError as exc:  # the C reader checks characters up front
        out.issues.append(_yaml_issue(exc, text))
        return out
    try:
        node = loader.get_single_node()
        if node is None:
            out.issues.append(YamlIssue(1, 1, "empty-file", "file holds no record"))
            return out
        out.data = _to_python(node, set())
    except _KeyProblem:
        # Duplicate or non-scalar key: walk the tree to report it with its field and lines.
        _compose_and_walk(text, out)
        if not out.issues:
            out.issues.append(YamlIssue(1, 1, "yaml-syntax",
                                        "unsupported YAML: records hold plain mappings, lists "
                                        "and scalars only"))
    except yaml.YAMLError as exc:
        out.issues.append(_yaml_issue(exc, text))
    finally:
        loader.dispose()
    return out


# An anchor, alias or tag starts with & * or ! right after white space, a flow indicator or the
# start of a line; text such as "R&D" or "Holland & Knight" does not match.
_MAYBE_NODE_PROPERTY = re.compile(r"(?:^|[\s\[\]{},])[&*!]\S", re.M)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


def _to_python(node: yaml.Node, seen: set[int]) -> Any:
    """The composed tree as plain data. The resolvers above have already tagged every scalar, so
    this is a direct conversion (several times faster than PyYAML's generic constructor)."""
    if isinstance(node, yaml.ScalarNode):
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _INT:
            return int(value)
        if tag == _FLOAT:
            return float(value)
        if tag == _BOOL:
            return value == "true"
        if tag == _NULL:
            return None
        raise _KeyProblem  # any other tag: let the slow path report it
    if id(node) in seen:
        raise _KeyProblem  # a shared node (alias): the slow path reports it
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value in out:
                raise _KeyProblem
            out[key_node.value] = _to_python(value_node, seen)
        return out
    return [_to_python(item, seen) for item in node.value]


def _compose_and_walk(text: str, out: Parsed) -> None:
    """Compose ``text`` again and record every value's line mark (and key problems) in ``out``."""
    out._marks = {}
    try:
        loader = KBLoader(text)
    except yaml.YAMLError:
        return
    try:
        node = loader.get_single_node()
        if node is not None:
            _walk(node, (), out, set(), None)
    except yaml.YAMLError:
        pass  # the fast path has already reported it
    finally:
        loader.dispose()


def _from_reader_error(exc: yaml.reader.ReaderError, text: str) -> YamlIssue:
    line = text.count("\n", 0, exc.position) + 1
    col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return YamlIssue(line, col, "bad-character",
                     f"character U+{ord(char):04X} is not allowed in YAML; delete it or write it "
                     "as an escape inside double quotes")


def _yaml_issue(exc: yaml.YAMLError, text: str) -> YamlIssue:
    if isinstance(exc, yaml.reader.ReaderError):
        return _from_reader_error(exc, text)
    if isinstance(exc, yaml.MarkedYAMLError):
        return _from_yaml_error(exc)
    return YamlIssue(1, 1, "yaml-syntax", f"invalid YAML: {exc}")


def _from_yaml_error(exc: yaml.MarkedYAMLError) -> YamlIssue:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    if "expected a single document" in str(exc.context or "") + problem:
        return YamlIssue(line, col, "multiple-documents",
                         "file holds more than one YAML document; one record per file")
    text = f"{exc.context + ': ' if exc.context else ''}{problem}"
    return YamlIssue(line, col, "yaml-syntax", f"invalid YAML: {text}")


def _scan_events(text: str, out: Parsed) -> None:
    try:
        for event in yaml.parse(text, Loader=KBLoader):
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            if isinstance(event, yaml.AliasEvent):
                out.issues.append(YamlIssue(*where, "alias",
                                            f"alias '*{event.anchor}' is not allowed; "
                                            "write the value out in full"))
            elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                out.issues.append(YamlIssue(*where, "anchor",
                                            f"anchor '&{event.anchor}' is not allowed; "
                                            "records do not share values"))
            if isinstance(event, yaml.ScalarEvent):
                explicit = event.tag is not None and not any(event.implicit)
            elif isinstance(event, yaml.CollectionStartEvent):
                explicit = event.tag is not None and not event.implicit
            else:
                explicit = False
            if explicit:
                shown = event.tag.replace("tag:yaml.org,2002:", "!!")
                out.issues.append(YamlIssue(*where, "tag",
                                            f"tag '{shown}' is not allowed; "
                                            "records hold plain values only"))
    except yaml.YAMLError as exc:
        out.issues.append(_yaml_issue(exc, text))


def _walk(node: yaml.Node, loc: Loc, out: Parsed, seen: set[int], key_mark: Any) -> None:
    if id(node) in seen:
        mark = key_mark or node.start_mark
        out.issues.append(YamlIssue(mark.line + 1, mark.column + 1, "alias",
                                    "value repeats another through an alias; write it out", loc))
        return
    seen.add(id(node))
    mark = key_mark or node.start_mark
    assert out._marks is not None
    out._marks[loc] = (mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        keys: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                km = key_node.start_mark
                out.issues.append(YamlIssue(km.line + 1, km.column + 1, "yaml-syntax",
                                            "a key must be a plain word, not a list or mapping",
                                            loc))
                continue
            key = key_node.value
            km = key_node.start_mark
            if key in keys:
                out.issues.append(YamlIssue(
                    km.line + 1, km.column + 1, "duplicate-key",
                    f"key '{key}' appears twice (first on line {keys[key]}); keep one",
                    loc + (key,)))
                continue
            keys[key] = km.line + 1
            _walk(value_node, loc + (key,), out, seen, km)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, loc + (index,), out, seen, None)
