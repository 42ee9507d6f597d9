"""SQL tables on SQLite and PostgreSQL: the same answers as the Python API."""

import datetime as dt

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

import kb
from kb import db
from kb.tables import Chip, Citation, Control, Determination, GroupMember, MarketShare, Rule


def test_tpp_filter_matches_python_api(db_url, base):
    with kb.session(db_url, base=base) as s:
        got = sorted(c.id for c in s.exec(select(Chip).where(Chip.tpp >= 4800)))
    assert got == sorted(c.id for c in base.chips.values() if c.tpp and c.tpp >= 4800)


def test_default_session_loads_the_repository_records(base):
    with kb.session() as s:
        assert s.exec(select(func.count()).select_from(Chip)).one() == len(base.chips)


def test_every_record_kind_has_its_rows(db_url, base):
    with kb.session(db_url, base=base) as s:
        def count(model):
            return s.exec(select(func.count()).select_from(model)).one()

        assert count(Chip) == len(base.chips)
        assert count(Rule) == len(base.rules)
        assert count(MarketShare) == len(base.market_shares)
        assert count(Control) == sum(len(r.controls) for r in base.rules.values())
        assert count(GroupMember) == sum(len(g.members) for g in base.country_groups.values())
        assert count(Citation) == sum(
            len(r.citations) for kind in (base.chips, base.rules, base.market_shares,
                                          base.country_groups, base.organizations)
            for r in kind.values())


def test_determinations_match_the_engine(db_url, base):
    day = dt.date(2024, 6, 1)
    with kb.session(db_url, base=base) as s:
        rows = s.exec(select(Determination).where(
            Determination.valid_from <= day,
            (Determination.valid_to == None) | (Determination.valid_to >= day),  # noqa: E711
        )).all()
    got = {(d.chip_id, d.rule_id, d.control_id, d.controlled) for d in rows}
    want = {(c.id, d.rule_id, d.control_id, d.controlled)
            for c in base.chips.values() for d in base.classify(c, on=day)}
    assert got == want


def test_views_answer_on_both_databases(db_url, base):
    with kb.session(db_url, base=base) as s:
        rows = s.exec(text("SELECT group_id, members_needing_licence, members "
                           "FROM chip_group_status_current WHERE chip_id = 'nvidia-h100-sxm' "
                           "ORDER BY group_id")).all()
        groups = {g: (need, total) for g, need, total in rows}
        assert groups["us-ear-d5"][0] == groups["us-ear-d5"][1]
        assert groups["us-ear-a5"][0] == 0
        cn = s.exec(text("SELECT DISTINCT rule_id FROM chip_destination_current "
                         "WHERE chip_id = 'nvidia-h100-sxm' AND country = 'CN'")).all()
        assert ("us-bis-2024-04-corrections",) in cn


def test_reload_replaces_own_tables_and_keeps_others(db_url, base, tmp_path):
    url = db_url or f"sqlite:///{tmp_path / 'kb.sqlite'}"
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS analyst_notes"))
            conn.execute(text("CREATE TABLE analyst_notes (note TEXT)"))
            conn.execute(text("INSERT INTO analyst_notes VALUES ('keep me')"))
        db.populate(engine, base)
        db.populate(engine, base)
        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(Chip)).one() == len(base.chips)
            assert s.exec(text("SELECT note FROM analyst_notes")).all() == [("keep me",)]
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE analyst_notes"))
    finally:
        engine.dispose()


def test_refuses_to_replace_tables_it_did_not_make(tmp_path, base):
    path = tmp_path / "other.sqlite"
    raw = create_engine(f"sqlite:///{path}")
    with raw.begin() as conn:
        conn.execute(text("CREATE TABLE chip (name TEXT)"))
        conn.execute(text("INSERT INTO chip VALUES ('theirs')"))
    raw.dispose()
    with pytest.raises(db.DatabaseError, match="not made by kb"), \
            kb.session(f"sqlite:///{path}", base=base):
        pass
    check = create_engine(f"sqlite:///{path}")
    with check.connect() as conn:
        assert conn.execute(text("SELECT name FROM chip")).all() == [("theirs",)]
    check.dispose()


def test_sqlite_enforces_foreign_keys(base):
    with kb.session(base=base) as s:
        s.add(Determination(chip_id="no-such-chip", rule_id="x", control_id="y",
                            status="controlled", reasons="", missing=""))
        with pytest.raises(IntegrityError):
            s.commit()


def test_failed_load_leaves_previous_contents(tmp_path, base, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    engine = db.make_engine(url)
    db.populate(engine, base)
    real_rows = db.rows

    def broken(b):
        out = real_rows(b)
        out["determination"].append({**out["determination"][0], "chip_id": "ghost"})
        return out

    monkeypatch.setattr(db, "rows", broken)
    with pytest.raises(IntegrityError):
        db.populate(engine, base)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Chip)).one() == len(base.chips)
    engine.dispose()
