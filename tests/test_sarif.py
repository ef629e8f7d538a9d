"""The SARIF reporter: valid SARIF 2.1.0, ready for GitHub code scanning, deterministic."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from connlint import __version__, api
from connlint.cli import main
from connlint.config import Config
from connlint.findings import Edit, Finding, Fix, Notice, Report, Severity
from connlint.registry import all_rules
from connlint.reporters import render
from connlint.reporters.fingerprint import line_hashes
from connlint.reporters.sarif import first_sentence

from .conftest import FIXTURES, REPO, SARIF_SCHEMA, write

# A URI reference holds only unreserved, reserved and percent-encoded characters (RFC 3986).
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-F]{2})*$")
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


@pytest.fixture(scope="module")
def validator():
    import jsonschema  # a test dependency: the SARIF checks never skip

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def assert_valid(validator, doc: dict) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def sarif(report: Report, **options) -> dict:
    return json.loads(render("sarif", report, **options))


def a_rule_code() -> str:
    return next(code for code in all_rules() if code != "CL000")


def finding(path: str, line: int = 1, col: int = 1, end_line: int = 1, end_col: int = 2, **kw) -> Finding:
    rule = all_rules()[kw.pop("code", a_rule_code())]
    return Finding(path, line, col, end_line, end_col, rule.code, rule.name, kw.pop("message", rule.message),
                   kw.pop("severity", rule.severity), **kw)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git-like root (it holds `.git`) that is the current folder."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def fixtures_run():
    """Every rule over fixtures/, run from the repository root."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        report = api.run([str(FIXTURES.relative_to(REPO))], Config(root=REPO, select=("CL",)))
        text = render("sarif", report)
    assert report.findings, "the fixtures should produce findings"
    return report, text, json.loads(text)


# ---- validity and shape ------------------------------------------------------------------------

def test_fixtures_run_is_valid_sarif(validator, fixtures_run):
    _, _, doc = fixtures_run
    assert_valid(validator, doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(doc["runs"]) == 1


def test_cli_format_sarif_is_valid(validator, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(main, ["--format", "sarif", "--isolated", "-o", str(out), "fixtures"])
    assert result.exit_code == 1, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert_valid(validator, doc)
    assert doc["runs"][0]["results"]


def test_driver_lists_every_rule_but_cl000(fixtures_run):
    _, _, doc = fixtures_run
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "connlint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == "https://github.com/connlint/connlint"
    expected = [rule for code, rule in all_rules().items() if code != "CL000"]
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in expected]
    for descriptor, rule in zip(driver["rules"], expected):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == first_sentence(rule.summary)
        assert descriptor["shortDescription"]["text"]
        assert rule.summary.startswith(descriptor["shortDescription"]["text"])
        assert descriptor["fullDescription"]["text"] == rule.summary
        assert descriptor["help"] == {"text": rule.markdown, "markdown": rule.markdown}
        assert descriptor["helpUri"] == f"https://github.com/connlint/connlint/blob/main/README.md#{rule.code.lower()}"
        assert descriptor["defaultConfiguration"]["level"] == LEVEL[rule.severity]
        props = descriptor["properties"]
        assert props["precision"] == "high"
        assert props["problem.severity"] in ("error", "warning", "recommendation")
        assert isinstance(props["tags"], list) and props["tags"]


def test_results_point_into_the_rules_with_relative_uris_and_full_regions(fixtures_run):
    report, _, doc = fixtures_run
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": REPO.as_uri() + "/"}}
    rules = run["tool"]["driver"]["rules"]
    findings = [f for f in report.findings if f.code != "CL000"]
    assert len(run["results"]) == len(findings)
    for result, f in zip(run["results"], findings):  # same order as the report
        assert result["ruleId"] == f.code
        assert rules[result["ruleIndex"]]["id"] == f.code
        assert result["level"] == f.severity.value
        assert result["message"]["text"] == f.message
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:"))
        assert (REPO / artifact["uri"]).resolve() == (REPO / f.path).resolve()
        assert physical["region"] == {
            "startLine": f.line, "startColumn": f.col, "endLine": f.end_line, "endColumn": f.end_col,
        }
        text = (REPO / f.path).read_text(encoding="utf-8")
        assert result["partialFingerprints"]["primaryLocationLineHash"] == line_hashes(text)[f.line - 1]


def test_uris_are_relative_to_the_git_root_not_the_current_folder(repo, monkeypatch):
    sub = repo / "svc" / "api"
    write(sub, "app.py", "x = 1\n")
    monkeypatch.chdir(sub)
    doc = sarif(Report(findings=[finding("app.py")]))
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "svc/api/app.py", "uriBaseId": "%SRCROOT%"}


def test_without_git_the_current_folder_is_the_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = sarif(Report(findings=[finding("a.py")]), root=tmp_path)  # root given: no walking up
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    from connlint.reporters.sarif import find_root

    (tmp_path / "x" / "y").mkdir(parents=True)
    if find_root(str(tmp_path)) == str(tmp_path):  # nothing above tmp holds .git
        assert find_root(str(tmp_path / "x" / "y")) == str(tmp_path / "x" / "y")
    (tmp_path / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    assert find_root(str(tmp_path / "x" / "y")) == str(tmp_path)


def test_file_outside_the_root_gets_an_absolute_file_uri(repo, tmp_path_factory, validator):
    outside = tmp_path_factory.mktemp("elsewhere") / "b.py"
    outside.write_text("y = 2\n", encoding="utf-8")
    doc = sarif(Report(findings=[finding(str(outside))]))
    assert_valid(validator, doc)
    artifact = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.as_uri()}


# ---- CL000, notices, errors ----------------------------------------------------------------------

def test_cl000_is_a_notification_not_a_result(repo, validator):
    write(repo, "broken.py", "def handler(:\n    pass\n")
    write(repo, "ok.py", "x = 1\n")
    report = api.run(["."], Config(root=repo), prefilter=False)
    assert [f.code for f in report.findings] == ["CL000"]
    doc = sarif(report)
    assert_valid(validator, doc)
    run = doc["runs"][0]
    assert run["results"] == []
    assert "CL000" not in [r["id"] for r in run["tool"]["driver"]["rules"]]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == report.findings[0].message
    assert note["descriptor"]["id"] == "CL000"
    assert run["tool"]["driver"]["notifications"][note["descriptor"]["index"]]["id"] == "CL000"
    physical = note["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "broken.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == report.findings[0].line


def test_errors_make_the_execution_unsuccessful_and_notices_are_warnings(repo, validator):
    report = Report(
        findings=[finding("a.py")],
        notices=[Notice("a.py", "unknown rule code CL999 in suppression comment", 3), Notice("b.txt", "skipped")],
        errors=["a.py: internal error in rule CL101 (x): boom"],
    )
    doc = sarif(report)
    assert_valid(validator, doc)
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("warning", "unknown rule code CL999 in suppression comment"),
        ("warning", "skipped"),
        ("error", "a.py: internal error in rule CL101 (x): boom"),
    ]
    assert notes[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert "region" not in notes[1]["locations"][0]["physicalLocation"]
    assert len(doc["runs"][0]["results"]) == 1


# ---- fingerprints --------------------------------------------------------------------------------

# github/codeql-action src/fingerprints.test.ts, test "hash".
CODEQL_ACTION_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End", [
        "8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
        "b86d3392aea1be30:1", "e6ceba753e1a442:1",
    ]),
    *[(text, [
        "e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
        "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1",
    ]) for text in (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
        " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
        " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
    )],
    ("Lorem ipsum dolor sit amet.\n" * 10, [
        *(f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)),
        "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1",
    ]),
    ("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n", [
        "e54938cc54b302f1:1", "bb609acbe9138d60:1", "1131fd5871777f34:1", "5c482a0f8b35ea28:1",
        "54517377da7028d2:1", "2c644846cb18d53e:1", "f1b89f20de0d133:1", "c129715d7a2bc9a3:1",
    ]),
]


@pytest.mark.parametrize("text, expected", CODEQL_ACTION_VECTORS, ids=lambda v: repr(v)[:30])
def test_line_hashes_match_codeql_action(text, expected):
    assert line_hashes(text) == expected
    assert len(expected) == len(re.split(r"\r\n|\r|\n", text))


def test_line_hashes_count_utf16_code_units():
    # An astral character is two UTF-16 code units in JS, so it shifts the hash differently from a
    # single BMP character; the window is 100 code units, not 100 code points.
    assert line_hashes("\U0001F600\n") != line_hashes("\uFFFD\n")
    # 98 + 2 units: the last letter is unit 101, outside line 1's window (it would be code point 100)
    assert line_hashes("a" * 98 + "\U0001F600" + "b")[0] == line_hashes("a" * 98 + "\U0001F600" + "c")[0]
    assert line_hashes("a" * 97 + "\U0001F600" + "b")[0] != line_hashes("a" * 97 + "\U0001F600" + "c")[0]


def test_fingerprints_use_sources_then_the_file_and_skip_unreadable(repo):
    write(repo, "a.py", "x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n")
    report = Report(findings=[finding("a.py", 2, 1, 2, 6), finding("a.py", 7, 1, 7, 9), finding("gone.py", 1)])
    results = sarif(report)["runs"][0]["results"]
    assert results[0]["partialFingerprints"] == {"primaryLocationLineHash": "bb609acbe9138d60:1"}
    assert results[1]["partialFingerprints"] == {"primaryLocationLineHash": "f1b89f20de0d133:1"}
    assert "partialFingerprints" not in results[2]
    given = sarif(report, sources={"a.py": "Lorem ipsum dolor sit amet.\n" * 10})["runs"][0]["results"]
    assert given[0]["partialFingerprints"]["primaryLocationLineHash"] == "a7f2ff13bc495cf2:2"


# ---- determinism, escaping, fixes ----------------------------------------------------------------

def test_two_renders_are_byte_identical(fixtures_run):
    report, text, _ = fixtures_run
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        again = render("sarif", report)
    assert again == text
    assert text.endswith("}\n")
    assert text.startswith('{\n  "$schema"')


ODD_NAMES = [
    ("dir with space/a b.py", "dir%20with%20space/a%20b.py"),
    ("h#sh?q%25.py", "h%23sh%3Fq%2525.py"),
    ("ünï/çødé.go", "%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9.go"),
    ('q"uote\'s.py', "q%22uote%27s.py"),
    ("x</script>.py", "x%3C/script%3E.py"),
]


def test_odd_file_names_are_percent_encoded_and_round_trip(repo, validator):
    findings = []
    for name, _ in ODD_NAMES:
        write(repo, name, "w.Header().Set(\"Connection\", \"close\")\n")
        findings.append(finding(name, message=f'in "{name}" </script> \u2028 done'))
    report = Report(findings=findings)
    text = render("sarif", report)
    doc = json.loads(text)
    assert_valid(validator, doc)
    for result, (name, uri) in zip(doc["runs"][0]["results"], ODD_NAMES):
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uri"] == uri
        assert URI_REFERENCE.match(artifact["uri"])
        assert result["message"]["text"] == f'in "{name}" </script> \u2028 done'
        assert "partialFingerprints" in result  # the file was found under its real name


def test_fixes_become_sarif_replacements(repo, validator):
    write(repo, "a.py", "resp.headers['Connection'] = 'close'\nx = 1\n")
    fix = Fix("Remove the header", (Edit(0, 37, ""), Edit(37, 38, "\n# keep-alive\n")), safe=False)
    doc = sarif(Report(findings=[finding("a.py", 1, 1, 1, 37, fix=fix)]))
    assert_valid(validator, doc)
    (sarif_fix,) = doc["runs"][0]["results"][0]["fixes"]
    assert sarif_fix["description"] == {"text": "Remove the header"}
    (change,) = sarif_fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "a.py", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {"deletedRegion": {"charOffset": 0, "charLength": 37}},
        {"deletedRegion": {"charOffset": 37, "charLength": 1}, "insertedContent": {"text": "\n# keep-alive\n"}},
    ]


def test_degenerate_regions_stay_valid(repo, validator):
    doc = sarif(Report(findings=[finding("a.py", 0, 0, 0, 0), finding("a.py", 5, 9, 5, 3)]))
    assert_valid(validator, doc)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in doc["runs"][0]["results"]]
    assert regions == [
        {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
        {"startLine": 5, "startColumn": 9, "endLine": 5, "endColumn": 9},
    ]


@pytest.mark.parametrize("text, first", [
    ("Flags servers. Then more.", "Flags servers."),
    ("Flags `a.b. c` calls, e.g. foo. Next one.", "Flags `a.b. c` calls, e.g. foo."),
    ("Flags x (see y.z) and w. more", "Flags x (see y.z) and w. more"),
    ("No full stop", "No full stop"),
])
def test_first_sentence(text, first):
    assert first_sentence(text) == first
