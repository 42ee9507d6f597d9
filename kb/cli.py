"""The ``kb`` command. Only this module talks to the user; the library raises, this prints.

Exit status: 0 success, 1 invalid records or a failed check, 2 wrong usage, 130 interrupted
(Ctrl-C). Everything printed passes through :func:`kb.terminal.clean`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kb import words
from kb.errors import KBError, RecordsInvalid, UnknownRecord
from kb.terminal import CleanStream


class _Deferred:
    """A module imported on first use. Importing the loader takes a tenth of a second; done
    when this module is imported it would happen before :func:`run` can catch a Ctrl-C."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


loader: Any = _Deferred("kb.loader")


class UsageError(Exception):
    """Wrong arguments: exit status 2."""


def _records_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", metavar="PATH", type=Path, default=None,
                        help="records folder (default: records/ of the project you are in)")


def _force_arg(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--force", action="store_true",
                        help=f"replace {what} even if it holds files kb did not write")


# More page workers than this only fork processes that wait; a number like 10**20 would
# make the page split build a list that size before the first fork.
_MAX_JOBS = 256


def _count(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 up, got {value!r}")
    if int(value) > _MAX_JOBS:
        raise argparse.ArgumentTypeError(f"at most {_MAX_JOBS} processes, got {value}")
    return int(value)


def _port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port from 1 to 65535, got {value!r}")
    return int(value)


def _host(value: str) -> str:
    import socket

    try:
        socket.getaddrinfo(value, None)
    except (socket.gaierror, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a host name"
        raise argparse.ArgumentTypeError(f"cannot find host {value!r}: {reason}") from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="AI chip export-controls knowledge base: validate records, classify chips.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="check every record; print counts or every problem")
    p.add_argument("path", nargs="?", type=Path, default=None,
                   help="records folder (default: records/ of the project you are in)")
    p.add_argument("--format", choices=("text", "github"), default="text",
                   help="github: GitHub Actions annotations")

    p = sub.add_parser("classify", help="which controls catch a chip on a date, and why")
    p.add_argument("chip", help="chip id, e.g. nvidia-h20")
    p.add_argument("--on", metavar="DATE", default=None, help="YYYY-MM-DD (default: today)")
    p.add_argument("--to", metavar="CC", default=None,
                   help="destination country (ISO code): also list licence requirements")
    p.add_argument("--hq", metavar="CC", default=None,
                   help="country where the buyer's parent is headquartered (with --to)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _records_arg(p)

    p = sub.add_parser("timeline", help="a chip's complete status history, period by period")
    p.add_argument("chip")
    p.add_argument("--to", metavar="CC",
                   help="whether a licence was needed for this destination, and the policy")
    p.add_argument("--until", metavar="DATE", help="history up to this day (default: today)")
    p.add_argument("--json", action="store_true")
    _records_arg(p)

    p = sub.add_parser("build", help="build the static site (records -> pages -> site/)")
    p.add_argument("--out", type=Path, default=None,
                   help="site folder (default: site/ of the project)")
    _force_arg(p, "the site folder")
    p.add_argument("--jobs", type=_count, default=None, metavar="N",
                   help="processes sharing the page work (default: one per CPU)")
    p.add_argument("--lang", action="append", choices=["en", "ja"], default=None,
                   help="build only these editions (repeatable; English is always built; "
                        "default: every edition the project configures)")
    _records_arg(p)

    p = sub.add_parser("serve", help="serve the site locally, re-rendering on every change")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--host", type=_host, default="127.0.0.1")
    _records_arg(p)

    p = sub.add_parser("new", help="start a new record from a commented template")
    p.add_argument("kind", help="chip, organization, rule, country-group, market-share or source")
    p.add_argument("id", help="the new record's id, e.g. acme-x1")
    p.add_argument("--from", dest="from_id", metavar="CHIP",
                   help="start a chip from an existing one, e.g. nvidia-h100-sxm")
    _records_arg(p)

    p = sub.add_parser("diff", help="what changed since a git ref, records and determinations")
    p.add_argument("ref", help="git ref to compare with, e.g. HEAD~1 or origin/main")
    _records_arg(p)

    p = sub.add_parser("watch", help="BIS Federal Register documents the records do not cite "
                       "yet (needs the network)")
    p.add_argument("--since", metavar="DATE", default=None,
                   help="YYYY-MM-DD (default: the newest recorded instrument's publication date)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _records_arg(p)

    p = sub.add_parser("schema", help="write the JSON Schema of every record kind (for editors)")
    p.add_argument("out", type=Path, help="output folder, e.g. schemas/")

    p = sub.add_parser("export", help="write the knowledge base as SQLite, JSON or CSV")
    p.add_argument("--format", choices=("sqlite", "json", "csv"), required=True)
    p.add_argument("out", type=Path, help="output file (sqlite) or folder (json, csv)")
    _force_arg(p, "the output")
    _records_arg(p)

    p = sub.add_parser("whatif", help="which chips a hypothetical criterion catches")
    p.add_argument("criterion",
                   help="criterion as YAML or JSON, e.g. '{tpp: {gte: 1000}}'")
    p.add_argument("--on", metavar="DATE", default=None,
                   help="compare with the rules in force on this date (default: today)")
    p.add_argument("--json", action="store_true")
    _records_arg(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Every line printed while the command runs, by this module or on its behalf, goes
    # through kb.terminal.clean: record text and arguments cannot drive the terminal.
    streams = sys.stdout, sys.stderr
    # None where the stream was closed when kb started (`kb validate >&-`): print() then
    # writes nothing, as it would without kb's wrapper.
    sys.stdout, sys.stderr = (None if s is None else CleanStream(s) for s in streams)
    terminate = _stop_on_sigterm()
    try:
        return _main(argv)
    except Terminated:
        return _interrupted(argv, "terminated", 128 + signal.SIGTERM)
    except KeyboardInterrupt:
        return _interrupted(argv)
    finally:
        if terminate is not None:
            signal.signal(signal.SIGTERM, terminate)
        sys.stdout, sys.stderr = streams


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager, `kill`, a CI timeout): stop as for Ctrl-C, so every cleanup
    runs (a half-built output is removed, helpers are ended) instead of dying mid-write."""


def _raise_terminated(_signum: int, _frame: object) -> None:
    raise Terminated


def _stop_on_sigterm() -> Any:
    """Turn SIGTERM into :class:`Terminated` while a command runs; returns the handler it
    replaced (None where it left things alone: not the main thread, or a handler of the
    program kb runs inside)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return None
    signal.signal(signal.SIGTERM, _raise_terminated)
    return previous


def _interrupted(argv: Sequence[str], what: str = "interrupted", code: int = 130) -> int:
    """Ctrl-C: the user asked to stop, so one line and the shell's code for SIGINT; no trace."""
    command = next((a for a in argv if a in _COMMANDS), None)
    # stderr closed or gone, or a second Ctrl-C: the exit status still says it.
    with contextlib.suppress(OSError, ValueError, KeyboardInterrupt):
        print(f"kb {command}: {what}" if command else f"kb: {what}", file=sys.stderr)
    return code


def _main(argv: list[str]) -> int:
    parser = build_parser()
    _refuse_empty_paths(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        _check_text_args(args)
        return int(_COMMANDS[args.command](args))
    except UsageError as exc:
        print(f"kb {args.command}: {exc}", file=sys.stderr)
        return 2
    except RecordsInvalid as exc:
        _print_problems(exc.problems, "text")
        return 1
    except UnknownRecord as exc:
        print(f"kb {args.command}: {exc}", file=sys.stderr)
        return 2
    except KBError as exc:
        print(f"kb {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `kb classify x | head`
        return 0
    except OSError as exc:  # the system refused (a full disk, a port in use): no bug of ours
        if os.environ.get("KB_DEBUG"):
            raise
        from kb.errors import os_reason

        where = f"{exc.filename}: " if exc.filename else ""
        print(f"kb {args.command}: {where}{os_reason(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, not bad input: say so plainly; KB_DEBUG=1 shows the trace
        if os.environ.get("KB_DEBUG"):
            raise
        print(f"kb {args.command}: internal error ({type(exc).__name__}: {exc}); "
              "rerun with KB_DEBUG=1 and report it", file=sys.stderr)
        return 1


def _refuse_empty_paths(parser: argparse.ArgumentParser) -> None:
    """Make every file or folder argument refuse "": Path("") is the current folder, so
    `kb schema ""` would write there and `--records ""` read there, unasked."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _refuse_empty_paths(sub)
        elif action.type is Path:
            action.type = _path


def _path(value: str) -> Path:
    if not value:
        raise argparse.ArgumentTypeError("an empty path names no file or folder; give one "
                                         "(. for the current folder)")
    return Path(value)


# Options whose value is text, not a file name, as the user wrote them.
_OPTION_NAMES = {"since": "--since", "on": "--on", "to": "--to", "hq": "--hq", "host": "--host",
                 "from_id": "--from"}


def _check_text_args(args: argparse.Namespace) -> None:
    """Refuse text arguments that are not UTF-8 (Python keeps such bytes as lone surrogates,
    which no encoder accepts). File names may hold any bytes and stay allowed."""
    for name, value in vars(args).items():
        if isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value):
            try:
                shown = os.fsencode(value)  # the bytes as given on the command line
            except UnicodeEncodeError:  # a surrogate no command line makes (main() from Python)
                shown = value.encode("utf-8", "backslashreplace")
            raise UsageError(f"{_OPTION_NAMES.get(name, name)} is not valid UTF-8 text "
                             f"(read {shown!r}); write it in UTF-8")


def _print_problems(problems: Sequence[Any], fmt: str) -> None:
    for p in problems:
        print(p.format_github() if fmt == "github" else p.format(), file=sys.stderr if
              fmt == "text" else sys.stdout)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if fmt == "text":
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    root = _records(args, args.path)
    if not root.is_dir():
        raise UsageError(f"no records folder at {root}")
    result = loader.load_records(root)
    if result.problems:
        _print_problems(result.problems, args.format)
    if result.errors:
        return 1
    counts = ", ".join(f"{len(v)} {k}" for k, v in result.records.items())
    print(f"ok: {counts}")
    return 0


def _records(args: argparse.Namespace, explicit: Path | None = None,
             writes: bool = False) -> Path:
    """The records folder the command acts on: the one given, else the project's
    (:mod:`kb.project`); outside a project a read-only command says it reads the packaged ones."""
    from kb import project

    found = project.records(explicit if explicit is not None else
                            getattr(args, "records", None), writes=writes)
    project.say_packaged(found, args.command)
    return found.path


def _base(args: argparse.Namespace, writes: bool = False) -> Any:
    return loader.load(_records(args, writes=writes))


def _date_arg(value: str | None, option: str = "--on") -> Any:
    """A date from the command line: YYYY-MM-DD and nothing else. (date.fromisoformat also
    takes 20240601, 2024-W22-6 and more, which the user may not have meant as a date.)"""
    import datetime as dt
    import re

    if value is None:
        return dt.date.today()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise UsageError(f"{option}: expected a date written YYYY-MM-DD, e.g. 2024-06-01; "
                         f"found {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {value} is not a date ({exc})") from None


def cmd_classify(args: argparse.Namespace) -> int:
    on = _date_arg(args.on)  # before the records load: a wrong date costs nothing
    # An empty code, or --hq alone, would otherwise be dropped in silence and the answer read
    # as if no licence were needed.
    for option, value in (("--to", args.to), ("--hq", args.hq)):
        if value is not None and not value.strip():
            raise UsageError(f"{option}: give a country code, e.g. CN")
    if args.hq is not None and args.to is None:
        raise UsageError("--hq works with --to: the buyer's parent matters only for a "
                         "destination, e.g. --to MY --hq CN")
    base = _base(args)
    chip = base.chip(args.chip)
    dets = base.classify(chip, on)
    reqs = None
    verdict = base.verdict(chip, on)
    licence = None
    if args.to is not None:
        try:
            reqs = base.license_required(chip, args.to, on, headquartered_in=args.hq)
            licence = base.verdict(chip, on, args.to, headquartered_in=args.hq)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.json:
        out: dict[str, Any] = {
            "chip": chip.id, "on": on.isoformat(), "tpp": chip.tpp,
            "performance_density": chip.performance_density,
            "tpp_low": chip.tpp_low, "tpp_high": chip.tpp_high,
            "determinations": [
                {"rule_id": d.rule_id, "control_id": d.control_id, "controlled": d.controlled,
                 "reasons": d.reasons, "missing": d.missing,
                 "deciders": [_decider_json(x) for x in d.deciders]} for d in dets
            ],
            "overall": _verdict_json(verdict),
        }
        if reqs is not None:
            out["destination"] = args.to.upper()
            out["requirements"] = [r.__dict__ for r in reqs]
            out["licence"] = _verdict_json(licence)
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(f"{chip.name} ({chip.id}) on {on.isoformat()}")
    if not dets:
        print("  no chip control in force on this date")
    width = max((len(d.rule_id) for d in dets), default=0)
    for d in dets:
        print(f"  {d.rule_id:<{width}}  {d.control_id:<10} {d.status}")
        for reason in d.reasons:
            print(f"  {'':<{width}}  {'':<10}   - {reason}")
    if dets:
        print(f"overall: {_verdict_words(verdict, base=base)}")
    if reqs is not None:
        dest = args.to.upper()
        if licence is not None and reqs:
            print(f"licence to {dest}, in sum: "
                  f"{_verdict_words(licence, licence=True, base=base)}")
        if not reqs:
            print(f"licence to {dest}: none required by the recorded rules")
        for r in reqs:
            need = "licence required" if r.required else "licence may be required (undetermined)"
            via = " (buyer headquartered there)" if r.basis == "headquarters" else ""
            print(f"licence to {dest}{via}: {need} under {r.rule_id} {r.control_id}; "
                  f"policy: {words.policy(r.policy)}"
                  + (f"; exceptions: {', '.join(r.exceptions)}" if r.exceptions else ""))
    return 0


def _verdict_words(v: Any, licence: bool = False, base: Any = None) -> str:
    """One line for an overall answer, with the deciding figure where it is undetermined."""
    from kb.cells import INPUT_WORDS

    def control(rule_id: str, control_id: str) -> str:
        rule = base.rules.get(rule_id) if base is not None else None
        return f"{control_id} of the {rule.short_title}" if rule else f"{rule_id} {control_id}"
    names = " or ".join(control(r, c) for r, c in v.by)
    yes = "licence required" if licence else "controlled"
    if v.value is True and v.jointly:
        return (f"{yes} under {names}, whichever value the figures allow (each alone is "
                "undetermined; together they leave no value outside)")
    if v.value is True:
        return f"{yes} under {names}"
    if v.value is False:
        return "no licence required" if licence else "not controlled"
    decided = [f"{yes} if {d.condition}; the records: {d.known}" for d in v.deciders
               if d.condition]
    if decided:
        return "undetermined: " + "; or ".join(decided)
    inputs = " and ".join(INPUT_WORDS.get(i, i) for i in dict.fromkeys(
        [d.input for d in v.deciders] or v.missing))
    return f"undetermined under {names}: depends on {inputs}" if inputs else "undetermined"


def _decider_json(d: Any) -> dict[str, Any]:
    return {"input": d.input, "flips": list(d.flips), "condition": d.condition or None,
            "known": d.known}


def _verdict_json(v: Any) -> dict[str, Any]:
    return {"status": v.status, "value": v.value, "by": [list(k) for k in v.by],
            "jointly": v.jointly, "reasons": v.reasons,
            "deciders": [_decider_json(d) for d in v.deciders]}


def cmd_timeline(args: argparse.Namespace) -> int:
    until = _date_arg(args.until, "--until")
    if args.to is not None and not args.to.strip():
        raise UsageError("--to: give a country code, e.g. CN")
    base = _base(args)
    chip = base.chip(args.chip)
    try:
        periods = base.history(chip, args.to, today=until)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([
            {"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None,
             "status": p.status, "by": [list(k) for k in p.by], "jointly": p.jointly,
             "reasons": p.reasons, "deciders": [_decider_json(d) for d in p.deciders],
             "policy": p.policy, "policy_note": p.policy_note} for p in periods
        ], indent=2, ensure_ascii=False))
        return 0
    dest = f", licence to {args.to.upper()}" if args.to else ""
    print(f"{chip.name} ({chip.id}){dest}")
    yes, no = (("licence required", "no licence required") if args.to else
               ("controlled", "not controlled"))
    for p in periods:
        end = p.end.isoformat() if p.end else "today"
        status = {"controlled": yes, "not controlled": no}.get(p.status, p.status)
        line = f"  {p.start.isoformat()} to {end}: {status}"
        if p.by:
            names = [f"{c} of the {base.rules[r].short_title}" for r, c in p.by]
            joiner = " or " if p.jointly or p.status == "undetermined" else "; "
            line += f", under {joiner.join(names)}"
            if p.jointly:
                line += ", whichever value the figures allow"
        print(line)
        if p.policy:
            note = f" ({p.policy_note.rstrip('.')})" if p.policy_note else ""
            print(f"      review policy: {words.policy(p.policy)}{note}")
        for d in p.deciders:
            if d.condition:
                print(f"      {yes} if {d.condition}")
        label = "why" if p.status != "not controlled" else "what kept it out"
        print(f"      {label}: {'; '.join(p.reasons)}")
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from kb import yamlsafe

    parsed = yamlsafe.parse_text(args.criterion)
    if parsed.issues:
        raise UsageError("criterion: " + "; ".join(i.message for i in parsed.issues))
    on = _date_arg(args.on)
    base = _base(args)
    try:
        from kb.crosscheck import unknown_values
        from kb.knowledge import as_criterion

        criterion = as_criterion(parsed.data)
        # A vendor, kind or chip no record has would match nothing, silently: say so, as
        # `kb validate` does for a rule's criterion.
        known = {"organizations": base.organizations, "chips": base.chips}
        unknown = [f"{'.'.join(str(part) for part in loc)}: {message}"
                   for loc, _code, message in unknown_values(criterion, known)]
        if unknown:
            raise UsageError("invalid criterion:\n" + "\n".join(unknown))
        result = base.what_if(criterion, on=on)
    except ValidationError as exc:
        # The same plain messages and hints as `kb validate`, placed in the argument's text.
        from kb.models import Criterion

        msgs = [loader._from_pydantic(e, Criterion, parsed, "criterion").format()
                for e in exc.errors(include_url=False)]
        raise UsageError("invalid criterion:\n" + "\n".join(msgs)) from None
    if args.json:
        out = {**result.__dict__, "deciders": {cid: [_decider_json(d) for d in ds]
                                               for cid, ds in result.deciders.items()}}
        print(json.dumps(out, default=str, indent=2))
        return 0
    print(f"caught ({len(result.caught)}): {', '.join(result.caught) or '-'}")
    print(f"newly caught vs rules on {result.on}: {', '.join(result.newly_caught) or '-'}")
    print(f"released vs rules on {result.on}: {', '.join(result.released) or '-'}")
    if result.undetermined:
        print(f"undetermined ({len(result.undetermined)}):")
        for cid, missing in result.undetermined.items():
            decided = [d.condition for d in result.deciders.get(cid, []) if d.condition]
            if decided:
                print(f"  {cid}: caught if {'; or '.join(decided)}")
            else:
                print(f"  {cid}: depends on {', '.join(missing)}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from kb.site import build

    base = _base(args, writes=True)
    start = time.perf_counter()
    try:
        languages = tuple(dict.fromkeys(["en", *args.lang])) if args.lang else None
        out = build.build_site(base, args.out, args.jobs, force=args.force,
                               languages=languages)
    except OSError as exc:  # a folder that cannot be written: the old site is left as it was
        raise KBError(f"cannot write {args.out or 'site'}: {exc.strerror or exc}") from None
    pages = sum(1 for _ in out.rglob("*.html"))
    print(f"built {pages} pages into {out} in {time.perf_counter() - start:.1f} s; "
          f"open {out / 'index.html'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kb.site import build

    records = _records(args, writes=True)
    build.serve(records, host=args.host, port=args.port)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from kb import scaffold

    records = _records(args, writes=True)
    try:
        path = scaffold.new_record(records, args.kind, args.id, args.from_id)
    except scaffold.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    print(scaffold.next_steps(path, args.kind))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from kb import diff

    records = _records(args, writes=True)
    try:
        result = diff.run(args.ref, records)
    except diff.DiffError as exc:
        raise UsageError(str(exc)) from None
    print(diff.markdown(result))
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from kb import watch

    since = _date_arg(args.since, "--since") if args.since is not None else None
    base = _base(args)
    start, docs = watch.run(base, since)  # watch.WatchError: one plain line, exit 1
    print(watch.as_json(docs, start) if args.json else watch.markdown(docs, start))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from kb import project, schema

    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out} is a file; give a folder")
    if project.inside_package(args.out):
        raise UsageError(f"{args.out} is inside the installed package; give a folder of yours")
    from kb.errors import cannot_write

    try:
        written = schema.write_schemas(args.out)
    except OSError as exc:
        raise cannot_write(Path(exc.filename) if exc.filename else args.out, exc) from None
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kb import export, outputs, project

    out: Path = args.out
    if project.inside_package(out):
        raise UsageError(f"{out} is inside the installed package; give a file or folder of yours")
    # Refused before the records are even loaded: nothing is touched.
    records = _records(args)
    home = project.root_of(records)
    outputs.check_apart(out, around={"the project": home} if home else {},
                        apart={"the records": records})
    try:
        if args.format == "sqlite":
            export.check_sqlite_targets(out, args.force)
        else:
            outputs.check_folder(out.absolute(), args.force)
    except outputs.WrongKind as exc:
        raise UsageError(str(exc)) from None
    base = loader.load(records)
    try:
        written = export.EXPORTERS[args.format](base, out, force=args.force)
    except OSError as exc:
        raise KBError(f"cannot write {out}: {exc.strerror or exc}") from None
    for path in written:
        print(f"wrote {path}")
    return 0


_COMMANDS = {
    "validate": cmd_validate,
    "classify": cmd_classify,
    "timeline": cmd_timeline,
    "whatif": cmd_whatif,
    "export": cmd_export,
    "schema": cmd_schema,
    "new": cmd_new,
    "diff": cmd_diff,
    "watch": cmd_watch,
    "build": cmd_build,
    "serve": cmd_serve,
}


def _redeliver_interrupts(unraisable: Any, _previous: Any = sys.unraisablehook) -> None:
    """A Ctrl-C that lands in a callback Python cannot raise from (a weak reference's, during an
    import) would be printed as "Exception ignored" and swallowed, and the command would carry
    on: deliver it to the main thread again instead, where it stops the command as usual."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        import threading

        # Sent again from a moment later: sent now, it would land in this hook, unraisable too.
        signum = signal.SIGTERM if isinstance(unraisable.exc_value, Terminated) else signal.SIGINT
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    _previous(unraisable)


def run() -> None:
    """Console-script entry point."""
    sys.unraisablehook = _redeliver_interrupts
    try:
        code = main()
    except KeyboardInterrupt:  # a second Ctrl-C while the first one's cleanup ran
        code = 130
    sys.exit(code)
