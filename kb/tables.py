"""SQL tables for the records and the engine's determinations (sqlmodel).

Kept apart from the pydantic record models: table models skip validation, so rows are only ever
built from records that :mod:`kb.loader` has already validated (see :mod:`kb.db`).
Dates are ``date`` columns; lists are link tables, never arrays, so SQLite and PostgreSQL agree.
"""

# No `from __future__ import annotations` here: sqlmodel needs real annotations (sqlmodel#196).
import datetime as dt

from sqlalchemy import ForeignKeyConstraint, Index
from sqlmodel import Field, SQLModel


class KbMeta(SQLModel, table=True):
    """Marks a database as holding the knowledge base's tables, with the schema version."""

    __tablename__ = "kb_meta"
    key: str = Field(primary_key=True)
    value: str


class Country(SQLModel, table=True):
    """ISO 3166-1 countries, so destination lists can be joined and named."""

    __tablename__ = "country"
    code: str = Field(primary_key=True, max_length=2)
    name: str


class Organization(SQLModel, table=True):
    __tablename__ = "organization"
    id: str = Field(primary_key=True)
    name: str
    kind: str
    country: str | None = None
    url: str | None = None
    notes: str | None = None


class Source(SQLModel, table=True):
    __tablename__ = "source"
    id: str = Field(primary_key=True)
    title: str
    publisher: str
    published: str | None = None
    url: str
    kind: str
    notes: str | None = None
    reliability: str
    """official, reputable or weak: as the record sets it, else the default for its kind."""


class Chip(SQLModel, table=True):
    """One row per chip, with the derived figures as columns SQL can filter on."""

    __tablename__ = "chip"
    id: str = Field(primary_key=True)
    name: str
    vendor_id: str = Field(foreign_key="organization.id", index=True)
    kind: str
    family: str | None = None
    released: str | None = None
    released_on: dt.date | None = None
    datacenter: bool | None = None
    foundry_id: str | None = Field(default=None, foreign_key="organization.id")
    process: str | None = None
    die_area_mm2: float | None = None
    transistors_billion: float | None = None
    tpp: float | None = Field(default=None, index=True)
    tpp_operand: str | None = None
    performance_density: float | None = Field(default=None, index=True)
    stated_tpp: float | None = None
    memory_type: str | None = None
    memory_capacity_gb: float | None = None
    memory_bandwidth_gb_s: float | None = None
    interconnect_gb_s: float | None = None
    tdp_w: float | None = None
    form_factor: str | None = None
    variant_of: str | None = Field(default=None, foreign_key="chip.id")
    notes: str | None = None
    logic_dies: int | None = None
    # The least and greatest value the figures allow (a range, a convention, a missing operand
    # type, the reticle bound); equal where the figure is exact, null where it is open.
    tpp_low: float | None = Field(default=None, index=True)
    tpp_high: float | None = None
    performance_density_low: float | None = None
    performance_density_high: float | None = None
    die_area_mm2_low: float | None = None
    die_area_mm2_high: float | None = None
    interconnect_gb_s_low: float | None = None
    interconnect_gb_s_high: float | None = None
    memory_bandwidth_gb_s_low: float | None = None
    memory_bandwidth_gb_s_high: float | None = None
    memory_capacity_gb_low: float | None = None
    memory_capacity_gb_high: float | None = None


class ChipTops(SQLModel, table=True):
    """Dense peak TOPS per operand type, with the bit length and the TPP term it gives."""

    __tablename__ = "chip_tops"
    chip_id: str = Field(foreign_key="chip.id", primary_key=True)
    operand: str = Field(primary_key=True)
    dense_tops: float | None = None
    """The dense figure where it is one value; a range's ends are in the two columns below."""
    dense_tops_low: float
    dense_tops_high: float
    bit_length: int
    bit_lengths: str
    """Every reading of the bit length the engine counts, e.g. "19 or 32" for TF32."""
    tpp_term: float | None = None
    tpp_term_low: float
    tpp_term_high: float


class Citation(SQLModel, table=True):
    """Which source supports which fields of which record."""

    __tablename__ = "citation"
    id: int | None = Field(default=None, primary_key=True)
    record_kind: str = Field(index=True)
    record_id: str = Field(index=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    fields: str
    tier: str | None = None
    note: str | None = None


class CountryGroup(SQLModel, table=True):
    __tablename__ = "country_group"
    id: str = Field(primary_key=True)
    name: str
    code: str | None = None
    authority_id: str = Field(foreign_key="organization.id")
    description: str | None = None


class GroupMember(SQLModel, table=True):
    """A dated membership; empty dates mean not recorded (start) or still a member (end)."""

    __tablename__ = "group_member"
    id: int | None = Field(default=None, primary_key=True)
    group_id: str = Field(foreign_key="country_group.id", index=True)
    country: str = Field(foreign_key="country.code", index=True)
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    source_id: str | None = Field(default=None, foreign_key="source.id")


class Rule(SQLModel, table=True):
    __tablename__ = "rule"
    id: str = Field(primary_key=True)
    title: str
    short_title: str
    jurisdiction: str
    authority_id: str = Field(foreign_key="organization.id")
    instrument: str
    citation: str | None = None
    document_number: str | None = None
    url: str
    start_date: dt.date | None = Field(default=None, index=True)
    announced: dt.date | None = None
    public_inspection: dt.date | None = None
    published: dt.date | None = None
    effective: dt.date | None = None
    compliance: dt.date | None = None
    comment_deadline: dt.date | None = None
    end_date: dt.date | None = None
    summary: str
    status_note: str | None = None


class RuleLink(SQLModel, table=True):
    """Lineage: a rule amends, replaces or ends another."""

    __tablename__ = "rule_link"
    rule_id: str = Field(foreign_key="rule.id", primary_key=True)
    relation: str = Field(primary_key=True)
    other_rule_id: str = Field(foreign_key="rule.id", primary_key=True)


class Control(SQLModel, table=True):
    """A paragraph of a rule, with the dates it applies (supersession already resolved)."""

    __tablename__ = "control"
    rule_id: str = Field(foreign_key="rule.id", primary_key=True)
    control_id: str = Field(primary_key=True)
    paragraph: str | None = None
    description: str
    items: str | None = None
    effect: str
    criterion_json: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    licence_policy: str | None = None
    policy_note: str | None = None


class ControlDestination(SQLModel, table=True):
    """Where a control needs a licence: role include/exclude/headquartered; kind country/group/
    worldwide."""

    __tablename__ = "control_destination"
    __table_args__ = (
        ForeignKeyConstraint(["rule_id", "control_id"], ["control.rule_id", "control.control_id"]),
    )
    id: int | None = Field(default=None, primary_key=True)
    rule_id: str
    control_id: str
    role: str
    kind: str
    value: str | None = None


class MarketShare(SQLModel, table=True):
    __tablename__ = "market_share"
    id: str = Field(primary_key=True)
    subject_id: str = Field(foreign_key="organization.id", index=True)
    estimator_id: str = Field(foreign_key="organization.id", index=True)
    market: str
    scope: str
    region: str
    period_start: str
    period_end: str
    period_start_on: dt.date
    metric: str
    value_pct: float | None = None
    value_pct_low: float | None = None
    value_pct_high: float | None = None
    qualifier: str
    quote: str | None = None
    published: str | None = None
    notes: str | None = None


class Claim(SQLModel, table=True):
    """A public statement with its verdict."""

    __tablename__ = "claim"
    id: str = Field(primary_key=True)
    statement: str
    claimant: str
    organization_id: str | None = Field(default=None, foreign_key="organization.id")
    made: str | None = None  # none only where the date the claim was made could not be found
    where: str
    source_id: str | None = Field(default=None, foreign_key="source.id")
    verdict: str = Field(index=True)
    reasoning: str
    last_reviewed: dt.date


class ClaimEvidence(SQLModel, table=True):
    """A source that supports, contradicts or qualifies a claim."""

    __tablename__ = "claim_evidence"
    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(foreign_key="claim.id", index=True)
    source_id: str = Field(foreign_key="source.id")
    stance: str
    tier: str
    note: str


class ClaimLink(SQLModel, table=True):
    """A record a claim touches (kind: chip, rule, market_share, organization)."""

    __tablename__ = "claim_link"
    claim_id: str = Field(foreign_key="claim.id", primary_key=True)
    kind: str = Field(primary_key=True)
    record_id: str = Field(primary_key=True)


class Determination(SQLModel, table=True):
    """What one control says about one chip, and the days it holds for (the control's span)."""

    __tablename__ = "determination"
    __table_args__ = (
        ForeignKeyConstraint(["rule_id", "control_id"], ["control.rule_id", "control.control_id"]),
        Index("ix_determination_chip_rule", "chip_id", "rule_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    chip_id: str = Field(foreign_key="chip.id")
    rule_id: str
    control_id: str
    controlled: bool | None = None
    status: str
    reasons: str
    missing: str
    deciding_input: str | None = None
    """For an undetermined answer, the record fields that would decide it."""
    flip_value: float | None = None
    """Where one field decides: the value of it at which the answer changes."""
    decided_when: str | None = None
    """Where one field decides: when the answer is yes, in words."""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


TABLES = [
    KbMeta, Country, Organization, Source, Chip, ChipTops, Citation, CountryGroup, GroupMember,
    Rule, RuleLink, Control, ControlDestination, MarketShare, Claim, ClaimEvidence, ClaimLink,
    Determination,
]

# Views in SQL that SQLite and PostgreSQL both run. CURRENT_DATE is evaluated when queried.
VIEWS: dict[str, str] = {
    "group_member_current": """
        SELECT group_id, country FROM group_member
        WHERE (from_date IS NULL OR from_date <= CURRENT_DATE)
          AND (to_date IS NULL OR to_date >= CURRENT_DATE)""",
    "chip_status_current": """
        SELECT d.chip_id, d.rule_id, d.control_id, d.status, d.reasons
        FROM determination d
        WHERE d.valid_from <= CURRENT_DATE
          AND (d.valid_to IS NULL OR d.valid_to >= CURRENT_DATE)""",
    "control_reach_current": """
        SELECT cd.rule_id, cd.control_id, cd.value AS country FROM control_destination cd
        WHERE cd.role = 'include' AND cd.kind = 'country'
        UNION
        SELECT cd.rule_id, cd.control_id, m.country FROM control_destination cd
        JOIN group_member_current m ON m.group_id = cd.value
        WHERE cd.role = 'include' AND cd.kind = 'group'
        UNION
        SELECT cd.rule_id, cd.control_id, c.code FROM control_destination cd
        CROSS JOIN country c
        WHERE cd.role = 'include' AND cd.kind = 'worldwide'""",
    "control_excluded_current": """
        SELECT cd.rule_id, cd.control_id, cd.value AS country FROM control_destination cd
        WHERE cd.role = 'exclude' AND cd.kind = 'country'
        UNION
        SELECT cd.rule_id, cd.control_id, m.country FROM control_destination cd
        JOIN group_member_current m ON m.group_id = cd.value
        WHERE cd.role = 'exclude' AND cd.kind = 'group'""",
    "chip_destination_current": """
        SELECT s.chip_id, r.country, s.rule_id, s.control_id, s.status
        FROM chip_status_current s
        JOIN control_reach_current r ON r.rule_id = s.rule_id AND r.control_id = s.control_id
        WHERE s.status <> 'not controlled'
          AND NOT EXISTS (
            SELECT 1 FROM control_excluded_current x
            WHERE x.rule_id = r.rule_id AND x.control_id = r.control_id
              AND x.country = r.country)""",
    "chip_group_status_current": """
        SELECT g.id AS group_id, ch.id AS chip_id,
               COUNT(DISTINCT CASE WHEN dc.status = 'controlled' THEN m.country END)
                   AS members_needing_licence,
               COUNT(DISTINCT m.country) AS members
        FROM country_group g
        JOIN group_member_current m ON m.group_id = g.id
        CROSS JOIN chip ch
        LEFT JOIN chip_destination_current dc
               ON dc.chip_id = ch.id AND dc.country = m.country
        GROUP BY g.id, ch.id""",
}
