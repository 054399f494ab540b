"""The body's structure after finishing: the parsed blocks matched to the finished paragraphs."""

from __future__ import annotations

from schemas.story import BODY_KINDS, Block, row_text


def align_blocks(blocks: list[Block], body: list[str]) -> list[Block] | None:
    """The blocks of a finished ``body``, from the ``blocks`` its markup gave.

    Finishing drops paragraphs (a repeated headline, advisories, closing notes) and trims others (a dateline cut
    from the first, a credit from the last): each finished paragraph is matched, in order, to the first block
    line not yet used that it equals or is part of, and takes that line's place; block lines left unmatched are
    dropped. Captions and fact boxes, never body text, stay where they were. None when a paragraph matches no
    line (finishing changed more than that) or when only plain paragraphs are left.
    """
    lines: list[tuple[int, int, str]] = []  # (block index, row index or -1, the text the block gives the body)
    for bi, b in enumerate(blocks):
        if b.kind == "table":
            lines.extend((bi, ri, t) for ri, r in enumerate(b.rows or []) if (t := row_text(r)))
        elif b.kind in BODY_KINDS and b.text:
            lines.append((bi, -1, b.text))
    kept: dict[int, list[tuple[int, str]]] = {}
    j = 0
    for paragraph in body:
        while j < len(lines) and paragraph != lines[j][2] and paragraph not in lines[j][2]:
            j += 1
        if j == len(lines):
            return None
        bi, ri, _ = lines[j]
        kept.setdefault(bi, []).append((ri, paragraph))
        j += 1
    out: list[Block] = []
    for bi, b in enumerate(blocks):
        if b.kind not in BODY_KINDS:
            out.append(b)
        elif (matched := kept.get(bi)) is None:
            continue
        elif b.kind == "table":
            rows = b.rows or []
            out.append(Block(kind="table", rows=[rows[ri] if row_text(rows[ri]) == t else [t] for ri, t in matched]))
        else:
            text = matched[0][1]
            out.append(b if b.text == text else Block(kind=b.kind, text=text))
    return out if any(b.kind != "paragraph" for b in out) else None
