"""YAML read as data: C-accelerated, YAML-1.2-like scalars, line marks for every value.

PyYAML implements YAML 1.1, under which ``NO`` (Norway) is ``False``, ``0700`` is octal and
``12:30`` is 750. The loader below keeps such scalars as strings, lets pydantic parse dates, and
refuses what a record never needs: duplicate keys, anchors and aliases, tags, several documents,
nesting deeper than :data:`MAX_DEPTH`, and control or invisible characters (:data:`BAD_CHARACTERS`)
anywhere in the file or produced by an escape in a double-quoted string.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

MAX_BYTES = 256 * 1024

# The deepest record (a rule's criteria inside a control's exception) nests about a dozen levels;
# the limit keeps the Python walks below far from the interpreter's recursion limit.
MAX_DEPTH = 50

# Refused in every string, key and comment: C0 and C1 controls (a terminal obeys ESC sequences,
# NUL breaks PostgreSQL and HTML), the Unicode bidirectional controls (they make text read
# differently from what it holds: "Trojan Source"), zero-width and invisible characters, the
# Unicode line separators, the noncharacters U+FFFE and U+FFFF, and lone surrogates (only text
# built in Python holds them: no UTF-8 file decodes to one). Tab and line feed are fine;
# carriage return is fine in the file (CRLF line ends) but not inside a value, where only a "\r"
# escape can put it.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_INVISIBLE = "\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ud800-\udfff\ufeff\ufffe\uffff"
BAD_CHARACTERS = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")
_BAD_IN_VALUE = re.compile(f"[{_CONTROLS}\r{_INVISIBLE}]")
# How many of them one file reports: a binary file would otherwise fill the screen.
_MAX_CHARACTER_ISSUES = 10
# How many problems of any kind one file reports (duplicate keys, anchors).
_MAX_ISSUES = 20

_CONTROL_NAMES = {
    0x00: "null", 0x01: "start of heading", 0x02: "start of text", 0x03: "end of text",
    0x04: "end of transmission", 0x05: "enquiry", 0x06: "acknowledge", 0x07: "bell",
    0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed", 0x0D: "carriage return",
    0x0E: "shift out", 0x0F: "shift in", 0x10: "data link escape", 0x11: "device control one",
    0x12: "device control two", 0x13: "device control three", 0x14: "device control four",
    0x15: "negative acknowledge", 0x16: "synchronous idle", 0x17: "end of transmission block",
    0x18: "cancel", 0x19: "end of medium", 0x1A: "substitute", 0x1B: "escape",
    0x1C: "file separator", 0x1D: "group separator", 0x1E: "record separator",
    0x1F: "unit separator", 0x7F: "delete", 0x85: "next line", 0x90: "device control string",
    0x9B: "control sequence introducer", 0x9D: "operating system command",
    0xFEFF: "zero-width no-break space", 0xFFFE: "noncharacter", 0xFFFF: "noncharacter",
}
_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])

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
    out = _parse_text(text)
    # A problem can be met on two ways through a file (an anchor both before and after a
    # refused character is found): each is reported once.
    out.issues = list({(i.line, i.col, i.code, i.message): i for i in out.issues}.values())
    if len(out.issues) > _MAX_ISSUES:
        # A generated file can repeat one mistake thousands of times: the first ones say it.
        out.issues.sort(key=lambda i: (i.line, i.col))
        rest = out.issues[_MAX_ISSUES]
        more = len(out.issues) - _MAX_ISSUES
        out.issues[_MAX_ISSUES:] = [YamlIssue(rest.line, rest.col, rest.code,
                                              f"and {more:,} more problem(s) from here on")]
    return out


def _parse_text(text: str) -> Parsed:
    out = Parsed()
    # `in` scans for one character at memchr speed; the patterns run only where it is found.
    tab = _TAB_INDENT.search(text) if "\t" in text else None
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        out.issues.append(
            YamlIssue(line, tab.end() - tab.start(), "tab-indent",
                      "indentation uses a tab; YAML indents with spaces only")
        )
        # Refused characters are reported with it (the file is not parsed any further).
        if BAD_CHARACTERS.search(text):
            out.issues.extend(_character_issues(text))
        return out
    # Every control character but tab and the line ends is ASCII and refused by the C reader
    # (reported below); only text with other characters needs the pattern.
    if not text.isascii() and BAD_CHARACTERS.search(text):
        out.issues.extend(_character_issues(text))
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
        out.issues.extend(_reader_issues(exc, text))
        return out
    try:
        node = loader.get_single_node()
        if node is None:
            out.issues.append(YamlIssue(1, 1, "empty-file", "file holds no record"))
            return out
        out.data = _to_python(node, set(), 1)
        # Only a double-quoted escape can put a refused character into a value that passed the
        # check of the raw text above.
        if "\\" in text and _has_bad_string(out.data):
            out.data = None
            # The fallback would say so should an escape ever slip past the scan that locates it.
            out.issues.extend(_character_issues(text) or [YamlIssue(
                1, 1, "bad-character", "a string holds a control or invisible character; "
                "write it without escapes")])
    except _TooDeep as deep:
        out.issues.append(_too_deep(deep.node.start_mark))
    except _TooLong as long:
        mark = long.node.start_mark
        digits = len(long.node.value.lstrip("+-"))
        loc = next((loc for n, loc, _ in _scalars(node, text, True) if n is long.node), ())
        out.issues.append(YamlIssue(mark.line + 1, mark.column + 1, "number-too-long",
                                    f"this number has {digits:,} digits, more than any figure "
                                    "needs; check what was meant", loc))
    except _KeyProblem:
        # Duplicate or non-scalar key: walk the tree to report it with its field and lines.
        _compose_and_walk(text, out)
        if not out.issues:
            out.issues.append(YamlIssue(1, 1, "yaml-syntax",
                                        "unsupported YAML: records hold plain mappings, lists "
                                        "and scalars only"))
    except yaml.YAMLError as exc:
        out.issues.extend(_reader_issues(exc, text))
    finally:
        loader.dispose()
    return out


class _TooDeep(Exception):
    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self.node = node


class _TooLong(Exception):
    """An integer Python refuses to convert (thousands of digits)."""

    def __init__(self, node: yaml.ScalarNode) -> None:
        super().__init__()
        self.node = node


def _too_deep(mark: Any) -> YamlIssue:
    return YamlIssue(mark.line + 1, mark.column + 1, "too-deep",
                     f"lists and mappings are nested more than {MAX_DEPTH} levels deep here; "
                     "a record needs only a few levels")


def _reader_issues(exc: yaml.YAMLError, text: str) -> list[YamlIssue]:
    """A YAML error as issues: a refused character in the raw text is reported with every other
    one and the field it is in."""
    if isinstance(exc, yaml.reader.ReaderError) and BAD_CHARACTERS.search(text):
        return _character_issues(text)
    if isinstance(exc, yaml.MarkedYAMLError) and "maximum nesting depth" in str(exc.problem):
        # libyaml's own limit (1,000 levels): the same message as the limit of the walks here.
        return [_too_deep(exc.problem_mark)]
    return [_yaml_issue(exc, text)]


def character_name(char: str) -> str:
    """A refused character as a reader knows it: "right-to-left override", "escape"."""
    code = ord(char)
    if code in _CONTROL_NAMES:
        return _CONTROL_NAMES[code]
    if unicodedata.category(char) == "Cc":
        return "control character"
    if 0xD800 <= code <= 0xDFFF:
        return "lone surrogate"
    return unicodedata.name(char, "unnamed character").lower()


def character_message(char: str, where: str = "in text", fix: str = "delete it") -> str:
    code = ord(char)
    if code in _BIDI:
        why = "it changes the order in which the text around it is shown"
    elif code in (0x2028, 0x2029):
        why = "it is a line break that few programs show as one"
    elif unicodedata.category(char) == "Cc":
        why = "a control character can drive a terminal or break a web page or database"
    elif code in (0xFFFE, 0xFFFF) or 0xD800 <= code <= 0xDFFF:
        why = "it is no character of any script"
    else:
        why = "it cannot be seen"
    return (f"character U+{code:04X} ({character_name(char)}) is not allowed {where}: {why}; "
            f"{fix}")


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def visible(text: str) -> str:
    """A key for a field name, with refused characters written as escapes, never raw."""
    return _BAD_IN_VALUE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _character_issues(text: str) -> list[YamlIssue]:
    """Every refused character in the file, written as it is or made by an escape in a
    double-quoted string, each with the field it is in (the first few of them)."""
    exact = True
    root = _compose(text)
    if root is None:
        # The C reader refuses controls, the scanner tabs that indent: compose a copy with each
        # control replaced by a letter and each tab by a space, one for one, so that every index
        # still points at the same character of ``text``.
        exact = False
        root = _compose(BAD_CHARACTERS.sub("_", text).replace("\t", " "))
    spans: list[tuple[int, int, Loc, bool]] = []
    # Index, character, field (None: not yet located), where, fix.
    found: list[tuple[int, str, Loc | None, str, str]] = []
    for node, loc, is_key in _scalars(root, text, exact):
        start, end = node.start_mark.index, node.end_mark.index
        spans.append((start, end, loc, is_key))
        if node.style != '"' or "\\" not in text[start:end]:
            continue
        where = "in a key" if is_key else "in text"
        for escape in _ESCAPE.finditer(text, start, end):
            body = escape.group()[1:]
            char = (chr(int(body[1:], 16)) if body[0] in "xuU" and len(body) > 1
                    else _SIMPLE_ESCAPES.get(body, ""))
            if char and _BAD_IN_VALUE.match(char):
                found.append((escape.start(), char, loc, where,
                              f"remove the escape {escape.group()}"))
    # Located only once sorted and cut to the few reported: a file may hold thousands.
    found.extend((hit.start(), hit.group(), None, "", "delete it")
                 for hit in BAD_CHARACTERS.finditer(text))
    found.sort(key=lambda f: f[0])
    spans.sort(key=lambda s: s[0])  # scalars never overlap: the last one starting before is it
    starts = [s[0] for s in spans]
    issues = []
    for index, char, loc, where, fix in found[:_MAX_CHARACTER_ISSUES]:
        if loc is None:
            at = bisect.bisect_right(starts, index) - 1
            if at >= 0 and index < spans[at][1]:
                loc, where = spans[at][2], "in a key" if spans[at][3] else "in text"
            else:
                loc, where = (), "in a record file"
        issues.append(YamlIssue(*_position(text, index), "bad-character",
                                character_message(char, where, fix), loc))
    if len(found) > _MAX_CHARACTER_ISSUES:
        more = len(found) - _MAX_CHARACTER_ISSUES
        line, col = _position(text, found[_MAX_CHARACTER_ISSUES][0])
        issues.append(YamlIssue(line, col, "bad-character",
                                f"and {more:,} more refused character(s) from here on"))
    if _MAYBE_NODE_PROPERTY.search(text):
        # Anchors, aliases and tags are reported with the characters, from a copy the C reader
        # takes (the characters are reported above, not again).
        scratch = Parsed()
        _scan_events(BAD_CHARACTERS.sub("_", text).replace("\t", " "), scratch)
        issues.extend(i for i in scratch.issues if i.code in ("anchor", "alias", "tag"))
    return issues


def _compose(text: str) -> yaml.Node | None:
    try:
        loader = KBLoader(text)
    except (yaml.YAMLError, UnicodeEncodeError):  # a lone surrogate cannot be encoded for libyaml
        return None
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _scalars(root: yaml.Node | None, text: str,
             exact: bool) -> list[tuple[yaml.ScalarNode, Loc, bool]]:
    """Every scalar under ``root`` with its field and whether it is a key. A stack, not
    recursion: this runs on files that may nest too deeply. Keys are named from ``text`` itself
    when the tree was composed from a copy with its controls replaced (``exact`` false)."""
    out: list[tuple[yaml.ScalarNode, Loc, bool]] = []
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())] if root is not None else []
    seen: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            continue  # an alias: the node is named after where it is written, met first
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            out.append((node, loc, False))
            continue
        children: list[tuple[yaml.Node, Loc]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = "?"
                if isinstance(key, yaml.ScalarNode):
                    written = text[key.start_mark.index:key.end_mark.index]
                    if not exact:
                        written = written[1:-1] if key.style in ("'", '"') else written
                    name = visible(key.value if exact else written)
                    out.append((key, loc + (name,), True))
                children.append((value, loc + (name,)))
        else:
            children = [(item, loc + (i,)) for i, item in enumerate(node.value)]
        stack.extend(reversed(children))  # popped in file order
    return out


def _has_bad_string(data: Any) -> bool:
    # The data is at most MAX_DEPTH deep here: _to_python has checked.
    if isinstance(data, str):
        return _BAD_IN_VALUE.search(data) is not None
    if isinstance(data, dict):
        return any(_BAD_IN_VALUE.search(k) or _has_bad_string(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_bad_string(item) for item in data)
    return False


_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n",
                   "v": "\v", "f": "\f", "r": "\r", "e": "\x1b", "N": "\x85", "_": "\xa0",
                   "L": "\u2028", "P": "\u2029"}


# An anchor, alias or tag starts with & * or ! right after white space, a flow indicator or the
# start of a line; text such as "R&D" or "Holland & Knight" does not match.
_MAYBE_NODE_PROPERTY = re.compile(r"(?:^|[\s\[\]{},])[&*!]\S", re.M)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


def _to_python(node: yaml.Node, seen: set[int], depth: int) -> Any:
    """The composed tree as plain data. The resolvers above have already tagged every scalar, so
    this is a direct conversion (several times faster than PyYAML's generic constructor)."""
    if isinstance(node, yaml.ScalarNode):
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _INT:
            try:
                return int(value)
            except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
                raise _TooLong(node) from None
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
    if depth > MAX_DEPTH:
        raise _TooDeep(node)
    depth += 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value in out:
                raise _KeyProblem
            out[key_node.value] = _to_python(value_node, seen, depth)
        return out
    return [_to_python(item, seen, depth) for item in node.value]


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
            _walk(node, (), out, set(), None, 1)
    except yaml.YAMLError:
        pass  # the fast path has already reported it
    finally:
        loader.dispose()


def _from_reader_error(exc: yaml.reader.ReaderError, text: str) -> YamlIssue:
    line = text.count("\n", 0, exc.position) + 1
    col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return YamlIssue(line, col, "bad-character",
                     f"character U+{ord(char):04X} is not allowed in YAML; delete it")


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
    start = exc.context_mark
    if "quoted scalar" in str(exc.context) and "end of stream" in problem and start:
        # The end of the file is where libyaml noticed; the opening quote is what to fix.
        return YamlIssue(start.line + 1, start.column + 1, "yaml-syntax",
                         "invalid YAML: this quoted text is never closed; add the closing quote")
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
        out.issues.extend(_reader_issues(exc, text))


def _walk(node: yaml.Node, loc: Loc, out: Parsed, seen: set[int], key_mark: Any,
          depth: int) -> None:
    if id(node) in seen:
        mark = key_mark or node.start_mark
        out.issues.append(YamlIssue(mark.line + 1, mark.column + 1, "alias",
                                    "value repeats another through an alias; write it out", loc))
        return
    seen.add(id(node))
    mark = key_mark or node.start_mark
    assert out._marks is not None
    out._marks[loc] = (mark.line + 1, mark.column + 1)
    if depth > MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
        # Reported by the conversion; marks deeper than this are never asked for.
        if not any(i.code == "too-deep" for i in out.issues):
            out.issues.append(_too_deep(node.start_mark))
        return
    depth += 1
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
            _walk(value_node, loc + (key,), out, seen, km, depth)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, loc + (index,), out, seen, None, depth)
