"""GitHub code scanning's `primaryLocationLineHash`, ported from github/codeql-action src/fingerprints.ts.

For every line, a rolling hash (base 37, modulo 2**64 like the JS `Long` it is computed with) of the
next 100 characters from the start of the line, spaces and tabs skipped, CR and CRLF read as LF, the
end of the file read as the character 65535 and then zeros. Characters are UTF-16 code units, as JS
`charCodeAt` sees them. A line's value is `hex:n`, n counting earlier lines of the file with the same
hash. GitHub computes the same values for results that arrive without them, so alerts keep their
identity across uploads whichever side computed them.
"""

from __future__ import annotations

BLOCK_SIZE = 100
MOD = 37
MASK = (1 << 64) - 1
FIRST_MOD = pow(MOD, BLOCK_SIZE, 1 << 64)
EOF = 65535
TAB, SPACE, LF, CR = 0x09, 0x20, 0x0A, 0x0D


def _code_units(text: str):
    for ch in text:
        point = ord(ch)
        if point > 0xFFFF:
            point -= 0x10000
            yield 0xD800 + (point >> 10)
            yield 0xDC00 + (point & 0x3FF)
        else:
            yield point
    yield EOF


def line_hashes(text: str) -> list[str]:
    """The fingerprint of each line of `text` (the file as read as UTF-8, BOM kept): item 0 is line 1."""
    window = [0] * BLOCK_SIZE
    line_numbers = [-1] * BLOCK_SIZE
    hashes: dict[int, str] = {}
    counts: dict[str, int] = {}
    state = 0
    index = 0
    line_number = 0
    line_start = True
    prev_cr = False

    def output() -> None:
        value = format(state, "x")
        counts[value] = counts.get(value, 0) + 1
        hashes.setdefault(line_numbers[index], f"{value}:{counts[value]}")
        line_numbers[index] = -1

    def update(current: int) -> None:
        nonlocal state, index
        begin = window[index]
        window[index] = current
        state = (MOD * state + current - FIRST_MOD * begin) & MASK
        index = (index + 1) % BLOCK_SIZE

    for current in _code_units(text):
        if current in (SPACE, TAB) or (prev_cr and current == LF):
            prev_cr = False
            continue
        if current == CR:
            current = LF
            prev_cr = True
        else:
            prev_cr = False
        if line_numbers[index] != -1:
            output()
        if line_start:
            line_start = False
            line_number += 1
            line_numbers[index] = line_number
        if current == LF:
            line_start = True
        update(current)

    for _ in range(BLOCK_SIZE):
        if line_numbers[index] != -1:
            output()
        update(0)

    return [hashes[n] for n in range(1, line_number + 1)]
