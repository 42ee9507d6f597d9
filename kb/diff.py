"""`kb diff GIT_REF`: what a change does to the records and to the determinations, as Markdown.

The records at GIT_REF are read from git (`git archive`) into a temporary folder and loaded like
any other; both knowledge bases are then compared record by record, and chip by chip under every
chip control and along every timeline.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb import loader
from kb.engine import STATUS
from kb.errors import KBError, RecordsInvalid
from kb.knowledge import KnowledgeBase

KINDS = ("chips", "rules", "country_groups", "market_shares", "organizations", "sources")


class DiffError(KBError):
    """The reference cannot be read (not a git checkout, unknown ref)."""


@dataclass
class Diff:
    ref: str
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, list[str]]] = field(default_factory=list)
    determinations: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    timelines: list[tuple[str, str, str]] = field(default_factory=list)
    old_problems: int = 0


def records_at(ref: str, records: Path, into: Path) -> Path:
    """Extract ``records/`` as it was at ``ref`` into ``into``; return its path."""
    repo = _git(["rev-parse", "--show-toplevel"], records.parent).strip()
    try:
        rel = records.resolve().relative_to(Path(repo).resolve()).as_posix()
    except ValueError:  # records/ is a link to a folder outside the checkout
        raise DiffError(f"{records} is not inside the git checkout {repo}") from None
    commit = resolve_commit(ref, repo)
    try:
        raw = subprocess.run(["git", "-C", repo, "archive", "--format=tar", commit, "--", rel],
                             capture_output=True, check=True).stdout
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode("utf-8", "replace").strip()
        if "did not match any files" in message or "pathspec" in message:
            (into / rel).mkdir(parents=True)  # records/ did not exist yet at that commit
            return into / rel
        raise DiffError(f"cannot read records at '{ref}': {message}") from None
    try:
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            tar.extractall(into, filter=_files_only)
    except (tarfile.TarError, OSError) as exc:
        raise DiffError(f"cannot read records at '{ref}': {exc}") from None
    return into / rel


def _files_only(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    # Records are regular files: a committed link (to /etc/passwd, or out of the folder) is
    # left out, as the loader refuses it in a working tree, and compared as absent.
    if not (member.isfile() or member.isdir()):
        return None
    return tarfile.data_filter(member, dest)


def resolve_commit(ref: str, repo: str | Path) -> str:
    """The commit ``ref`` names, as a full hash.

    Anything else is refused: ``git archive`` would take ``HEAD:records`` (a tree, whose paths
    lack the ``records/`` prefix, so every record would read as added) or a path, and a ref
    beginning with ``-`` would be read as an option.
    """
    if not ref or ref.startswith("-") or "\0" in ref:
        raise DiffError(f"'{ref}' is not a git ref; give a commit, branch or tag such as HEAD~1 "
                        "or origin/main")
    found = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet",
                            "--end-of-options", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode == 0:
        return found.stdout.strip()
    exists = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet",
                             "--end-of-options", ref], capture_output=True, text=True)
    if exists.returncode == 0:
        kind = subprocess.run(["git", "-C", str(repo), "cat-file", "-t", exists.stdout.strip()],
                              capture_output=True, text=True).stdout.strip()
        what = {"tree": "a folder's contents", "blob": "a file's contents"}.get(kind, "no commit")
        raise DiffError(f"'{ref}' names {what}, not a commit; give a commit, branch or tag "
                        "such as HEAD~1 or origin/main")
    raise DiffError(f"no commit '{ref}' in {repo}; give a commit, branch or tag such as HEAD~1 "
                    "or origin/main")


def _git(args: list[str], cwd: Path) -> str:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise DiffError(f"not a git checkout ({cwd}): {getattr(exc, 'stderr', exc)}") from None


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def compare(old: KnowledgeBase, new: KnowledgeBase, ref: str) -> Diff:
    diff = Diff(ref)
    for kind in KINDS:
        before, after = getattr(old, kind), getattr(new, kind)
        label = kind.replace("_", "-")
        diff.added += [(label, rid) for rid in sorted(set(after) - set(before))]
        diff.removed += [(label, rid) for rid in sorted(set(before) - set(after))]
        for rid in sorted(set(before) & set(after)):
            a = _flat(before[rid].model_dump(mode="json"))
            b = _flat(after[rid].model_dump(mode="json"))
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            if fields:
                diff.changed.append((label, rid, fields))
    for cid in sorted(set(old.chips) | set(new.chips)):
        before = _statuses(old, cid)
        after = _statuses(new, cid)
        for key in sorted(set(before) | set(after)):
            b, a = before.get(key, "—"), after.get(key, "—")
            if a != b:
                diff.determinations.append((cid, key[0], key[1], b, a))
        tb, ta = _timeline(old, cid), _timeline(new, cid)
        if tb != ta:
            diff.timelines.append((cid, tb, ta))
    return diff


def _statuses(base: KnowledgeBase, cid: str) -> dict[tuple[str, str], str]:
    chip = base.chips.get(cid)
    if chip is None:
        return {}
    engine = base.engine
    out = {}
    for rule, control in engine.chip_controls:
        value = engine.answer(rule, control, chip)[0]
        words = STATUS[value]
        if value is None:
            # The same words kb classify gives: what would decide it, where one figure does.
            decided = [d.condition for d in engine.evaluate(rule, control, chip).deciders
                       if d.condition]
            if decided:
                words += f" (caught if {'; or '.join(decided)})"
        out[(rule.id, control.id)] = words
    return out


def _timeline(base: KnowledgeBase, cid: str) -> str:
    if cid not in base.chips:
        return "not in the records"
    entries = base.timeline(cid)
    if not entries:
        return "never caught"
    def detail(e: Any) -> str:
        if e.controlled_by:
            return f" ({', '.join(f'{r} {c}' for r, c in e.controlled_by)})"
        if e.jointly:
            return (f" (one of {' or '.join(f'{r} {c}' for r, c in e.undetermined)}, whichever "
                    "value the figures allow)")
        return ""
    return "; ".join(f"{e.status} from {e.date.isoformat()}{detail(e)}" for e in entries)


def run(ref: str, records: Path) -> Diff:
    with tempfile.TemporaryDirectory(prefix="kb-diff-") as tmp:
        # The ref first: a wrong one is refused before the records are loaded.
        old_root = records_at(ref, records, Path(tmp))
        new = loader.load(records)
        result = loader.load_records(old_root)
        old = KnowledgeBase.from_records(result.records, root=old_root)
        if result.errors:
            # Compare with what was valid then; say how much was not.
            diff = compare(old, new, ref)
            diff.old_problems = len(result.errors)
            return diff
    return compare(old, new, ref)


def markdown(diff: Diff) -> str:
    """The comparison as Markdown, ready for a pull-request comment."""
    lines = [f"## Knowledge base changes since `{diff.ref}`", ""]
    if diff.old_problems:
        lines += [f"The records at `{diff.ref}` had {diff.old_problems} validation problem(s); "
                  "records that failed then are compared as absent.", ""]
    if not (diff.added or diff.removed or diff.changed):
        lines += ["No record changed.", ""]
    for title, items in (("Added", diff.added), ("Removed", diff.removed)):
        if items:
            lines += [f"### {title}", ""] + [f"- `{k}/{r}`" for k, r in items] + [""]
    if diff.changed:
        lines += ["### Changed", ""]
        lines += [f"- `{k}/{r}`: {', '.join(f'`{f}`' for f in fields)}"
                  for k, r, fields in diff.changed]
        lines.append("")
    lines += ["### Determinations", ""]
    if diff.determinations:
        lines += ["| Chip | Rule | Control | Before | After |", "|---|---|---|---|---|"]
        lines += [f"| `{c}` | `{r}` | {ctl} | {b} | {a} |"
                  for c, r, ctl, b, a in diff.determinations]
    else:
        lines.append("No determination changed.")
    lines.append("")
    if diff.timelines:
        lines += ["### Status over time", ""]
        for cid, before, after in diff.timelines:
            lines += [f"- `{cid}`", f"  - before: {before}", f"  - after: {after}"]
        lines.append("")
    return "\n".join(lines)


__all__ = ["Diff", "DiffError", "RecordsInvalid", "compare", "markdown", "run"]
