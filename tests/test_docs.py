"""Documentation is written once, in each rule's docstring, and the README table is generated from it."""

from __future__ import annotations

import re

from connlint.cli import rules_table
from connlint.registry import NAME_RE, all_rules

from .conftest import REPO

SECTIONS = ("What it does", "Why is this bad?", "Example")


def test_readme_rules_table_is_current():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- rules-table:start -->\n(.*?)<!-- rules-table:end -->", readme, re.S)
    assert match, "README.md lacks the rules-table markers"
    assert match.group(1) == rules_table(all_rules().values()), (
        "README rules table is stale: run `connlint rules --format markdown`"
    )


def test_every_rule_is_documented():
    for code, rule in all_rules().items():
        assert rule.doc.splitlines()[0] == f"{code} {rule.name}", code
        assert NAME_RE.match(rule.name)
        for section in SECTIONS:
            assert rule.section(section), f"{code} lacks '## {section}'"
        assert "Use instead" in rule.section("Example"), f"{code}: the example needs a 'Use instead'"
        assert rule.message.endswith("."), f"{code}: the message is one sentence ending with a period"
        assert rule.message.count(". ") == 0, f"{code}: the message is one sentence"


def test_readme_set_up_commands_match_ci():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = ".venv/bin/pytest"
    assert f"\n{test_command}\n" in readme
    # CI runs exactly that command (its status kept while the other CI runs finish)
    assert [line for line in ci.splitlines() if line.split(" || ")[0] == test_command] == [f"{test_command} || status=$?"]
