"""Record files -> validated :class:`~kb.knowledge.KnowledgeBase`, collecting every problem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import gc
import math
import os
import stat
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kb import crosscheck, models, reliability, translations, yamlsafe
from kb.errors import Problem, RecordsInvalid, display_path
from kb.models.chip import FIGURE_FIELDS
from kb.models.common import Citation, covered
from kb.models.figures import FORMS, cited_paths

Loc = tuple[str | int, ...]


def default_root() -> Path:
    """The records folder of the project the current folder is in (walking up, as git does),
    else the copy shipped with the installed package (:mod:`kb.project`)."""
    from kb import project

    return project.records().path


@dataclass
class FileResult:
    """One file's outcome: the record (if valid), its line marks and its problems."""

    path: Path
    kind: str
    record: Any = None
    parsed: yamlsafe.Parsed | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class LoadResult:
    """Everything read from a records folder."""

    root: Path
    records: dict[str, dict[str, Any]]
    files: dict[tuple[str, str], FileResult]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# Kinds the knowledge base cannot do without: a chip needs its vendor, every figure its source,
# and with no rules every chip would read as uncontrolled. The others may be empty folders.
REQUIRED_KINDS = ("sources", "organizations", "chips", "rules")

# Names that look like record files: reported when they are not read, never skipped in silence.
_RECORD_LIKE = (".yaml", ".yml", ".json")

_NOT_REGULAR = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def record_paths(root: Path) -> tuple[dict[str, list[Path]], list[Problem]]:
    """Record files by kind, sorted; anything that is not read is a problem.

    Only regular files are read (a pipe would block the run, a device never end it); a link is
    read only when it leads to a regular file inside ``root``.
    """
    found: dict[str, list[Path]] = {kind: [] for kind in models.KINDS}
    problems: list[Problem] = []

    top = os.fspath(root)

    def report(path: str, code: str, message: str) -> None:
        shown = display_path(root, root) if path == top else _shown(path, root)
        problems.append(Problem(shown, 1, 1, code, "", message))

    entries = _entries(top, report)
    if entries is None:
        return found, problems
    real_root = os.path.realpath(top)
    kinds = ", ".join(models.KINDS)
    folders: list[tuple[str, str | None]] = []  # (path, kind or None for a folder of no kind)
    present: set[str] = set()
    for entry in entries:
        name = entry.name
        if name in models.KINDS:
            present.add(name)
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, name))
            elif entry.is_symlink():
                report(entry.path, "not-a-folder",
                       f"records/{name} is a link; it must be a real folder inside the records "
                       "folder")
            else:
                report(entry.path, "not-a-folder",
                       f"records/{name} is {_what(entry)}, not a folder; records/{name}/ holds "
                       "one .yaml file per record")
        elif entry.is_dir(follow_symlinks=False):
            folders.append((entry.path, None))
        elif name.lower().endswith(_RECORD_LIKE):
            report(entry.path, "misplaced-file",
                   f"record files go directly in one of records/{{{kinds}}}/")
    if not present:
        # Likely the wrong folder given: one line says so, not one per file or missing kind.
        problems.clear()
        name = os.path.basename(real_root)
        report(top, "no-records",
               f"this is the folder of one kind ({name}); give the records folder that holds it"
               if name in models.KINDS else
               f"no records here: a records folder holds the folders {kinds}, each with one "
               ".yaml file per record")
        return found, problems
    for kind in models.KINDS:
        if kind not in present:
            report(os.path.join(top, kind), "missing-folder",
                   f"records/{kind}/ is missing; create it (git keeps an empty folder only with a "
                   "file in it, such as an empty .gitkeep)")
    while folders:
        folder, kind = folders.pop()
        entries = _entries(folder, report)
        if entries is None:
            continue
        for entry in entries:
            path = _record_file(entry, kind, real_root, report)
            if path is not None:
                if kind is None:
                    report(path, "misplaced-file",
                           f"record files go directly in one of records/{{{kinds}}}/")
                else:
                    found[kind].append(Path(path))
            elif entry.is_dir(follow_symlinks=False):
                # Folders of no kind are read only to report record files in them.
                folders.append((entry.path, None))
        if kind is not None and not found[kind] and kind in REQUIRED_KINDS:
            label = kind[:-1].replace("-", " ")
            report(folder, "empty-folder",
                   f"records/{kind}/ holds no records; the knowledge base needs at least one "
                   f"{label}")
    return found, problems


def _entries(folder: str, report: Any) -> list[os.DirEntry[str]] | None:
    """A folder's entries but hidden ones (.git, .gitkeep, editors' swap files), sorted."""
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except FileNotFoundError:
        report(folder, "no-records", "records folder not found")
    except NotADirectoryError:
        report(folder, "no-records", "this is a file; give the records folder")
    except OSError as exc:
        report(folder, "unreadable", f"cannot read folder: {_reason(exc)}")
    return None


def _record_file(entry: os.DirEntry[str], kind: str | None, real_root: str,
                 report: Any) -> str | None:
    """The path of ``entry`` if it is a record file to read (or, in a folder of no kind, one to
    report as misplaced); every other entry of a kind folder is reported here."""
    name = entry.name
    # DirEntry answers from the folder listing: no system call for plain files and folders.
    if entry.is_file(follow_symlinks=False):
        pass
    elif entry.is_dir(follow_symlinks=False):
        if kind is not None and name.lower().endswith(_RECORD_LIKE):
            report(entry.path, "not-a-file", "this is a folder, not a record file")
        return None
    elif not name.lower().endswith(_RECORD_LIKE) and kind is None:
        return None  # a pipe or link in a folder of no kind, not named as a record: not ours
    elif entry.is_symlink():
        problem = _link_problem(entry.path, real_root)
        if problem:
            report(entry.path, *problem)
            return None
    else:
        report(entry.path, "not-a-file",
               f"this is {_what(entry)}, not a regular file; only regular files are read")
        return None
    if kind is None:
        return entry.path if name.lower().endswith(_RECORD_LIKE) else None
    if name.endswith(".yaml"):
        return entry.path
    lower = name.lower()
    if lower.endswith(".yml"):
        report(entry.path, "misplaced-file", "record files end in .yaml, not .yml")
    elif lower.endswith(".yaml"):
        report(entry.path, "wrong-extension",
               f"record files end in .yaml in lower case, not '{name[-5:]}'; rename it")
    elif lower.endswith(".json"):
        report(entry.path, "wrong-extension",
               "record files are YAML files ending in .yaml; this .json file is not read")
    else:
        report(entry.path, "wrong-extension",
               f"not a record file: records/{kind}/ holds only .yaml files; move it elsewhere")
    return None


def _link_problem(path: str, real_root: str) -> tuple[str, str] | None:
    """Why the link at ``path`` is not read, or None when it leads to a regular file in the
    records folder."""
    target = os.path.realpath(path)
    if os.path.commonpath([target, real_root]) != real_root:
        return ("link-outside", "this is a link to a file outside the records folder; records "
                                "are read only from inside it")
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return ("broken-link", "this is a link that leads to no file")
    if not stat.S_ISREG(mode):
        what = _NOT_REGULAR.get(stat.S_IFMT(mode), "no regular file")
        return ("not-a-file", f"this is a link to {what}; only regular files are read")
    return None


def _what(entry: os.DirEntry[str]) -> str:
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return "no regular file"
    if stat.S_ISREG(mode):
        return "a file"
    return _NOT_REGULAR.get(stat.S_IFMT(mode), "no regular file")


def _shown(path: str | Path, root: Path | None) -> str:
    """A path for a message: its folder as the user reads it, then its name. Showing the entry
    itself would resolve a link, naming its target instead (or failing on a loop)."""
    folder, name = os.path.split(path)
    shown = display_path(Path(folder), root) if folder else "."
    return name if shown == "." else f"{shown}/{name}"


def _reason(exc: OSError) -> str:
    text = exc.strerror or type(exc).__name__
    return text[:1].lower() + text[1:]


def load_file(path: Path, kind: str, root: Path | None = None) -> FileResult:
    """Parse and validate one record file."""
    result = FileResult(path, kind)
    _check_file(result, path, kind)
    if result.problems:
        # The display path costs system calls; work it out only for files with problems.
        where = _shown(path, root)
        result.problems = [dataclasses.replace(p, path=where) for p in result.problems]
    return result


# Non-blocking, so that opening a pipe cannot hang the run (its contents are never read); no
# controlling terminal taken from a terminal device. (Windows has neither flag, nor such files.)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _read_record(path: Path) -> tuple[bytes | None, str, str]:
    """A record file's bytes, or None with a problem code and message: only a regular file is
    read, and never more than one byte past the size limit."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return None, "unreadable", f"cannot read file: {_reason(exc)}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode), "no regular file")
            return None, "not-a-file", (f"this is {what}, not a regular file; only regular "
                                        "files are read")
        limit = yamlsafe.MAX_BYTES
        if info.st_size > limit:
            return None, "file-too-large", (f"file is {info.st_size:,} bytes; a record may be at "
                                            f"most {limit:,} bytes")
        # A file that grows while it is read stops at the limit all the same.
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            return None, "file-too-large", (f"file is over {limit:,} bytes; a record may be at "
                                            f"most {limit:,} bytes")
        return b"".join(chunks), "", ""
    except OSError as exc:
        return None, "unreadable", f"cannot read file: {_reason(exc)}"
    finally:
        os.close(fd)


def _check_file(result: FileResult, path: Path, kind: str) -> None:
    where = ""  # filled in by load_file
    raw, code, message = _read_record(path)
    if raw is None:
        result.problems.append(Problem(where, 1, 1, code, "", message))
        return
    parsed = yamlsafe.parse_bytes(raw)
    result.parsed = parsed
    for issue in parsed.issues:
        result.problems.append(
            Problem(where, issue.line, issue.col, issue.code, _field(issue.loc), issue.message)
        )
    if parsed.issues:
        return
    data = parsed.data
    if not isinstance(data, dict):
        result.problems.append(Problem(where, 1, 1, "not-a-mapping", "",
                                       "a record is a mapping of fields (key: value lines)"))
        return
    model = models.KINDS[kind]
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = [_from_pydantic(err, model, parsed, where) for err in errors]
        folder = _better_folder(kind, errors)
        if folder:
            first = next(i for i, p in enumerate(problems) if p.code == "unknown-field")
            problems[first] = dataclasses.replace(
                problems[first], message=problems[first].message
                + f"; this looks like a record for records/{folder}/: is it in the right folder?")
        result.problems.extend(problems)
        return
    if record.id != path.stem:  # type: ignore[attr-defined]
        line, col = parsed.mark(("id",))
        result.problems.append(Problem(
            where, line, col, "id-mismatch", "id",
            f"id '{record.id}' differs from the file name "  # type: ignore[attr-defined]
            f"'{yamlsafe.visible(path.stem)}'; rename the file or change the id"))
        return
    result.record = record


def load_records(root: Path) -> LoadResult:
    """Read every record under ``root`` and run the cross-record checks."""
    # Loading allocates many small objects and frees none of them: the cyclic collector would
    # only rescan the growing heap again and again (a third of the time at 10,000 records).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_records(root)
    finally:
        if enabled:
            gc.enable()


def _load_records(root: Path) -> LoadResult:
    paths, problems = record_paths(root)
    records: dict[str, dict[str, Any]] = {kind: {} for kind in models.KINDS}
    files: dict[tuple[str, str], FileResult] = {}
    for kind, kind_paths in paths.items():
        for path in kind_paths:
            result = load_file(path, kind, root)
            problems.extend(result.problems)
            files[(kind, path.stem)] = result
            if result.record is not None:
                records[kind][result.record.id] = result.record
    problems.extend(_cross_check(records, files, root))
    return LoadResult(root, records, files, sorted(problems))


def load(path: str | Path | None = None) -> Any:
    """Load and validate a records folder into a KnowledgeBase; raise RecordsInvalid on errors."""
    from kb.knowledge import KnowledgeBase

    root = Path(path) if path is not None else default_root()
    if not root.is_dir():
        raise RecordsInvalid([Problem(str(root), 1, 1, "no-records", "",
                                      "records folder not found")])
    result = load_records(root)
    if result.errors:
        raise RecordsInvalid(result.problems)
    return KnowledgeBase.from_records(result.records, root=root,
                                      warnings=tuple(result.problems))


# ---------------------------------------------------------------------------------------------
# Cross-record checks


class _Checker:
    def __init__(self, records: dict[str, dict[str, Any]], files: dict[tuple[str, str], FileResult],
                 root: Path) -> None:
        self.records = records
        self.files = files
        self.root = root
        self.problems: list[Problem] = []

    def problem(self, kind: str, rid: str, loc: Loc, code: str, message: str,
                severity: str = "error") -> None:
        result = self.files[(kind, rid)]
        line, col = result.parsed.mark(loc) if result.parsed else (1, 1)
        self.problems.append(
            Problem(display_path(result.path, self.root), line, col, code, _field(loc), message,
                    severity)
        )

    def warning(self, kind: str, rid: str, loc: Loc, code: str, message: str) -> None:
        """A problem that does not make the records invalid (kb validate still exits 0)."""
        self.problem(kind, rid, loc, code, message, severity="warning")

    def ref(self, kind: str, rid: str, loc: Loc, target_kind: str, value: str | None) -> None:
        if value is None or value in self.records[target_kind]:
            return
        close = difflib.get_close_matches(value, list(self.records[target_kind]), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        label = target_kind[:-1].replace("-", " ")
        self.problem(kind, rid, loc, "unknown-reference",
                     f"no {label} '{value}' in records/{target_kind}/{hint}")

    def citations(self, kind: str, rid: str, cites: list[Citation], loc: Loc = ()) -> None:
        for i, c in enumerate(cites):
            self.ref(kind, rid, loc + ("citations", i, "source"), "sources", c.source)


def _present_figures(chip: models.Chip) -> list[str]:
    paths = []
    for name in FIGURE_FIELDS:
        if "." in name:
            parent, child = name.split(".")
            value = getattr(getattr(chip, parent), child, None) if getattr(chip, parent) else None
        else:
            value = getattr(chip, name)
        if name == "dense_tops":
            for op, tops in value.items():
                paths.extend(cited_paths(f"dense_tops.{op}", tops))
        elif value is not None:
            paths.extend(cited_paths(name, value))
    return paths


STALE_AFTER_DAYS = 365


def _cross_check(records: dict[str, dict[str, Any]], files: dict[tuple[str, str], FileResult],
                 root: Path) -> list[Problem]:
    ck = _Checker(records, files, root)
    today = dt.date.today()
    for kind, items in records.items():
        for rid, record in items.items():
            reviewed = getattr(record, "last_reviewed", None)
            if reviewed is not None and (today - reviewed).days > STALE_AFTER_DAYS:
                ck.warning(kind, rid, ("last_reviewed",), "stale-review",
                           f"last reviewed {reviewed.isoformat()}, over a year ago: check it "
                           "against its sources and update the date")
    for rid, org in records["organizations"].items():
        ck.citations("organizations", rid, org.citations)
    for rid, chip in records["chips"].items():
        ck.ref("chips", rid, ("vendor",), "organizations", chip.vendor)
        ck.ref("chips", rid, ("foundry",), "organizations", chip.foundry)
        ck.ref("chips", rid, ("variant_of",), "chips", chip.variant_of)
        if chip.variant_of == rid:
            ck.problem("chips", rid, ("variant_of",), "invalid-reference",
                       "a chip cannot be a variant of itself")
        ck.citations("chips", rid, chip.citations)
        for i, d in enumerate(chip.disputed):
            ck.ref("chips", rid, ("disputed", i, "source"), "sources", d.source)
        for path in _present_figures(chip):
            if not covered(path, chip.citations):
                loc: Loc = tuple(path.split("."))
                ck.problem("chips", rid, loc, "missing-citation",
                           f"'{path}' has no citation; add its source to citations[].fields")
    for rid, group in records["country-groups"].items():
        ck.ref("country-groups", rid, ("authority",), "organizations", group.authority)
        ck.citations("country-groups", rid, group.citations)
        for i, m in enumerate(group.members):
            ck.ref("country-groups", rid, ("members", i, "source"), "sources", m.source)
    for rid, share in records["market-shares"].items():
        ck.ref("market-shares", rid, ("subject",), "organizations", share.subject)
        ck.ref("market-shares", rid, ("estimator",), "organizations", share.estimator)
        ck.citations("market-shares", rid, share.citations)
        if not share.citations:
            ck.problem("market-shares", rid, ("citations",), "missing-citation",
                       "an estimate needs a citation naming its source")
    for rid, claim in records["claims"].items():
        ck.ref("claims", rid, ("source",), "sources", claim.source)
        ck.ref("claims", rid, ("organization",), "organizations", claim.organization)
        for i, ev in enumerate(claim.evidence):
            ck.ref("claims", rid, ("evidence", i, "source"), "sources", ev.source)
        for attr, kind in (("chips", "chips"), ("rules", "rules"),
                           ("market_shares", "market-shares"),
                           ("organizations", "organizations")):
            for i, other in enumerate(getattr(claim.related, attr)):
                ck.ref("claims", rid, ("related", attr, i), kind, other)
    for rid, rule in records["rules"].items():
        ck.ref("rules", rid, ("authority",), "organizations", rule.authority)
        ck.citations("rules", rid, rule.citations)
        for rel in ("amends", "replaces", "ends"):
            for i, other in enumerate(getattr(rule, rel)):
                ck.ref("rules", rid, (rel, i), "rules", other)
        for ci, control in enumerate(rule.controls):
            base: Loc = ("controls", ci)
            for ei, early in enumerate(control.earlier_for):
                spot: Loc = (*base, "earlier_for", ei)
                ck.ref("rules", rid, (*spot, "source"), "sources", early.source)
                for j, chip_id in enumerate(early.chips):
                    ck.ref("rules", rid, (*spot, "chips", j), "chips", chip_id)
                for j, vendor in enumerate(early.vendors):
                    ck.ref("rules", rid, (*spot, "vendors", j), "organizations", vendor)
            reaches = [(base + ("destinations",), control.destinations)] + [
                (base + ("exceptions", ei, "destinations"), exc.destinations)
                for ei, exc in enumerate(control.exceptions)
            ]
            for where, reach in reaches:
                if reach is None:
                    continue
                for rel in ("groups", "except_groups", "headquartered_in_groups"):
                    for gi, gid in enumerate(getattr(reach, rel)):
                        ck.ref("rules", rid, where + (rel, gi), "country-groups", gid)
            for pi, pol in enumerate(control.policy_by_destination):
                for gi, gid in enumerate(pol.groups):
                    ck.ref("rules", rid, base + ("policy_by_destination", pi, "groups", gi),
                           "country-groups", gid)
            for rel in ("supersedes", "policy_of"):
                for ri, ref in enumerate(getattr(control, rel)):
                    target = records["rules"].get(ref.rule)
                    if target is None:
                        ck.ref("rules", rid, base + (rel, ri, "rule"), "rules", ref.rule)
                    elif ref.control not in {c.id for c in target.controls}:
                        ids = ", ".join(c.id for c in target.controls) or "none"
                        ck.problem("rules", rid, base + (rel, ri, "control"),
                                   "unknown-reference",
                                   f"rule '{ref.rule}' has no control '{ref.control}' "
                                   f"(it has: {ids})")
    crosscheck.run(ck)
    reliability.check(ck, _present_figures)  # warnings only: see kb.reliability
    translations.check(ck)
    return ck.problems


# ---------------------------------------------------------------------------------------------
# pydantic errors -> plain messages


def _better_folder(kind: str, errors: list[Any]) -> str | None:
    """Another kind whose model has every top-level field this file's model does not know."""
    unknown = {e["loc"][0] for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1}
    if not unknown:
        return None
    for folder, other in models.KINDS.items():
        if folder != kind and unknown <= set(_names(other)):
            return folder
    return None


_DERIVED = {
    "tpp": "dense_tops (max of TOPS x bit length)",
    "performance_density": "TPP and die_area_mm2",
}


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + ("not" if part == "not_" else str(part))
    return out


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (for did-you-mean hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", {})
        by_alias = {(f.alias or n): f for n, f in fields.items()}
        info = fields.get(part) or by_alias.get(part)
        current = _find_model(info.annotation) if info else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or args:
        for arg in args:
            found = _find_model(arg)
            if found:
                return found
    return None


def _names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [(f.alias or n) for n, f in model.model_fields.items()]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _from_pydantic(
    err: Any, model: type[BaseModel], parsed: yamlsafe.Parsed, where: str
) -> Problem:
    loc: Loc = tuple(p for p in err["loc"] if p != "[key]" and p not in FORMS)
    is_key = "[key]" in err["loc"]
    kind = err["type"]
    value = err.get("input")
    line, col = parsed.mark(loc)
    msg = err["msg"].removeprefix("Value error, ")
    code = "invalid-value"
    if kind == "extra_forbidden":
        code = "unknown-field"
        name = str(loc[-1])
        holder = _model_at(model, loc)
        close = difflib.get_close_matches(name, _names(holder), n=1, cutoff=0.6)
        msg = f"unknown field '{name}'" + (f"; did you mean '{close[0]}'?" if close else "")
        if holder is models.Chip and name in _DERIVED:
            msg = (f"'{name}' is derived from {_DERIVED[name]} and never typed in; remove it "
                   "(a vendor's own TPP figure goes in stated_tpp)")
    elif kind == "missing":
        code = "missing-field"
        msg = f"required field is missing: add a line '{loc[-1]}: ...'" if loc else (
            "required field is missing")
    elif kind == "literal_error":
        code = "invalid-choice"
        choices = err.get("ctx", {}).get("expected", "")
        what = ("unexpected value" if not is_key else
                "unknown convention" if "conventions" in loc[:-1] else "unknown operand type")
        msg = f"{what} {_show(value)}; expected {choices}"
        options = [c.strip(" '") for c in str(choices).replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(value).lower(), options, n=1, cutoff=0.5)
        if close:
            msg += f"; did you mean '{close[0]}'?"
    elif kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        code = "wrong-type"
        msg = f"expected a number; found {_show(value)}"
        if isinstance(value, bool):
            msg += " (YAML reads yes/no/true/false as booleans)"
        elif isinstance(value, str):
            digits = value.replace(",", "").replace("_", "").replace(" ", "")
            try:
                # "nan", "inf" and "1e999" read as floats too, but are no figures to suggest.
                if math.isfinite(float(digits)):
                    msg += (f"; write {digits} without quotes" if digits == value
                            else f"; write {digits}, not '{value}'")
                else:
                    msg += "; that is no figure: give the number itself"
            except ValueError:
                if digits.lower().lstrip("+-.") in ("nan", "inf", "infinity"):  # YAML's .nan
                    msg += "; that is no figure: give the number itself"
                elif any(u in value.lower() for u in ("gb", "tb", "mm", "tflop", "w", "%")):
                    msg += "; the unit is in the field name, write the number alone"
    elif kind == "finite_number":
        code = "not-finite"
        msg = (f"expected a finite number; found {_show(value)} (YAML reads 1e999 and larger as "
               "infinity, .inf and .nan as no number at all): give the figure itself")
    elif kind in ("bool_type", "bool_parsing"):
        code = "wrong-type"
        msg = f"expected true or false; found {_show(value)}"
        if value in ("true", "false"):
            msg += "; remove the quotes"
    elif kind == "string_type":
        code = "wrong-type"
        msg = f"expected text; found {_show(value)}"
        if isinstance(value, bool):
            msg += " (YAML reads yes/no/true/false as booleans; quote it)"
    elif kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        code = "wrong-type"
        wanted = "a list" if kind == "list_type" else "a mapping of fields"
        msg = f"expected {wanted}; found {_show(value)}"
    elif kind == "string_pattern_mismatch":
        code = "invalid-id"
        msg = (f"{_show(value)} is not a valid id: use lowercase letters, digits and single "
               "hyphens, e.g. 'nvidia-h100-sxm'")
        if value == "":
            msg = "must not be empty: fill in an id (lowercase letters, digits, hyphens)"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        code = "out-of-range"
        msg = f"{msg[0].lower()}{msg[1:]}; found {_show(value)}"
        if loc and str(loc[-1]).startswith("value_pct"):
            msg += "; shares are percentages from 0 to 100"
    elif kind in ("too_short", "string_too_short"):
        code = "wrong-size"
        least = err.get("ctx", {}).get("min_length", 1)
        what = "characters" if kind == "string_too_short" else "items"
        msg = f"needs at least {least} {what}" if least != 1 else (
            "must not be empty")
    elif kind in ("too_long", "string_too_long"):
        code = "wrong-size"
        most = err.get("ctx", {}).get("max_length")
        msg = f"too long: at most {most} {'characters' if kind == 'string_too_long' else 'items'}"
    elif kind == "value_error":
        code = "invalid-value"
    else:
        code = kind.replace("_", "-")
    return Problem(where, line, col, code, _field(loc), msg)
