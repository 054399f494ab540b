"""The body's structure: blocks as the markup gave them, and as they follow the finished paragraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.story import Block, BlockKind, row_text

#: Kinds that mark one paragraph with its role.
ROLE_KINDS = frozenset({"crosshead", "quote"})


@dataclass
class Structure:
    """What a body's markup holds: its paragraphs (the plain text: crossheads, quotes and table rows included) and
    the blocks that are not plain paragraphs, each at the paragraph where it starts."""

    paragraphs: list[str] = field(default_factory=list)
    #: (index in ``paragraphs`` where the block starts, the block) for every block that is not a plain paragraph.
    marks: list[tuple[int, Block]] = field(default_factory=list)
    #: Indexes of the paragraphs that ``marks`` already gives a role (kept as marks are added, not recounted).
    _roles: set[int] = field(default_factory=set, repr=False, compare=False)

    def mark(self, kind: BlockKind, start: int) -> None:
        """The paragraphs from ``start`` on, just added, are crossheads or quotes (an inner role wins: a crosshead
        inside a quote stays a crosshead)."""
        taken = self._roles
        for i in range(start, len(self.paragraphs)):
            if i not in taken:
                self.marks.append((i, Block(kind=kind, text=self.paragraphs[i])))
                taken.add(i)

    def table(self, rows: list[list[str]]) -> None:
        rows = [r for r in rows if row_text(r)]
        if rows:
            self.marks.append((len(self.paragraphs), Block(kind="table", rows=rows)))
            self.paragraphs.extend(row_text(r) for r in rows)

    def extend(self, other: Structure) -> None:
        """``other`` read after what this one holds (a story sent in parts: lead, then body)."""
        n = len(self.paragraphs)
        self.marks.extend((i + n, b) for i, b in other.marks)
        self._roles.update(i + n for i in other._roles)
        self.paragraphs.extend(other.paragraphs)

    def aside(self, block: Block) -> None:
        """A caption or fact box: beside the story text, at this point of it."""
        self.marks.append((len(self.paragraphs), block))

    @property
    def blocks(self) -> list[str | Block] | None:
        """Every paragraph (a string) and block in reading order (None when there are only paragraphs)."""
        return blocks_of(self, self.paragraphs)


def blocks_of(structure: Structure, body: list[str]) -> list[str | Block] | None:
    """The blocks of a finished ``body`` read from ``structure``.

    Finishing drops paragraphs (a repeated headline, advisories, closing notes) and trims others (a dateline cut
    from the first, a credit from the last): each finished paragraph is matched, in order, to the first paragraph
    of the structure not yet used that it equals or is part of, and takes that paragraph's role (a crosshead, a
    quote, a table row); unmatched paragraphs are left out. Captions and fact boxes, never body text, stay at their
    place. None when a finished paragraph matches none (finishing changed more than that) or when nothing but
    plain paragraphs is left.
    """
    if not structure.marks:
        return None
    paragraphs = structure.paragraphs
    n = len(paragraphs)
    roles: dict[int, Block] = {}
    rows_at: dict[int, tuple[int, list[str]]] = {}  # paragraph index → (its table's start, its row)
    asides: list[tuple[int, Block]] = []
    for start, b in structure.marks:
        if b.kind == "table":
            for k, row in enumerate(b.rows or ()):
                rows_at[start + k] = (start, row)
        elif b.kind in ROLE_KINDS:
            roles.setdefault(start, b)
        else:
            asides.append((start, b))
    asides.sort(key=lambda m: m[0])
    out: list[str | Block] = []
    rows: list[list[str]] = []
    table_start = -1
    a = j = 0
    for text in body:
        while j < n and text != paragraphs[j] and text not in paragraphs[j]:
            j += 1
        if j == n:
            return None
        cell = rows_at.get(j)
        if rows and (cell is None or cell[0] != table_start or (a < len(asides) and asides[a][0] <= j)):
            out.append(Block(kind="table", rows=rows))  # the open table ends before this paragraph
            rows = []
        while a < len(asides) and asides[a][0] <= j:
            out.append(asides[a][1])
            a += 1
        if cell is not None:
            table_start = cell[0]
            rows.append(cell[1] if text == paragraphs[j] else [text])
        else:
            role = roles.get(j)
            if role is None:
                out.append(text)
            else:
                out.append(role if role.text == text else Block(kind=role.kind, text=text))
        j += 1
    if rows:
        out.append(Block(kind="table", rows=rows))
    out.extend(b for _, b in asides[a:])
    return out if any(not isinstance(b, str) for b in out) else None
