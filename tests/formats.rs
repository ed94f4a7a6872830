//! The machine formats CI reads: SARIF validated against the official SARIF 2.1.0 schema
//! for every fixture, JUnit parsed as XML for every fixture, reviewed snapshots of the
//! github, junit and markdown output, and several formats written by one run.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const TODAY: &str = "2026-06-01";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `alertlint` run from the crate root, outside GitHub Actions, on a fixed day.
fn alertlint() -> Command {
    let mut command = Command::cargo_bin("alertlint").expect("binary builds");
    command
        .current_dir(root())
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("NO_COLOR")
        .env("ALERTLINT_TODAY", TODAY)
        .env("COLUMNS", "100");
    command
}

fn run(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = output.status.code().expect("exited normally");
    (
        code,
        String::from_utf8(output.stdout).expect("UTF-8 output"),
    )
}

fn check(fixture: &str, format: &str) -> (i32, String) {
    run(alertlint().args([
        "check",
        &format!("fixtures/{fixture}"),
        "--offline",
        "--format",
        format,
    ]))
}

/// Every fixture the tool can judge (those that stop on a bad config exit 2 and write
/// no report).
fn judged_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| check(name, "json").0 != 2)
        .collect();
    names.sort();
    assert!(names.len() > 50, "{names:?}");
    names
}

/// The official schema, from `ALERTLINT_SARIF_SCHEMA` or `../shared/schemas`; `None`
/// (after saying why) when absent outside CI. In CI a missing schema fails the test.
fn sarif_schema() -> Option<Value> {
    let path = std::env::var_os("ALERTLINT_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/schemas/sarif-schema-2.1.0.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("the SARIF schema is JSON")),
        Err(e) => {
            let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
            assert!(
                !in_ci,
                "the SARIF 2.1.0 schema cannot be read at {} ({e}) and CI is set: \
                 SARIF validation must run in CI (set ALERTLINT_SARIF_SCHEMA to its path)",
                path.display()
            );
            eprintln!(
                "skipping SARIF schema validation: no schema at {} ({e})",
                path.display()
            );
            None
        }
    }
}

#[test]
fn sarif_of_every_fixture_validates_against_the_official_schema() {
    let Some(schema) = sarif_schema() else {
        return;
    };
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let without_tool = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(
        !validator.is_valid(&without_tool),
        "the validator rejects bad SARIF"
    );
    for fixture in judged_fixtures() {
        let (_, text) = check(&fixture, "sarif");
        let sarif: Value = serde_json::from_str(&text).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{fixture}: {errors:#?}");
        check_code_scanning_needs(&fixture, &sarif);
    }
}

/// What GitHub code scanning reads beyond the schema: rule metadata, a category, and for
/// each result a rule, a message, a repository-relative file, a region and a fingerprint.
fn check_code_scanning_needs(fixture: &str, sarif: &Value) {
    let run = &sarif["runs"][0];
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1, "{fixture}");
    assert!(
        run["automationDetails"]["id"]
            .as_str()
            .unwrap()
            .ends_with('/')
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        for key in ["id", "name", "shortDescription", "fullDescription", "help"] {
            assert!(
                !rule[key].is_null(),
                "{fixture}: rule without {key}: {rule}"
            );
        }
        assert!(!rule["defaultConfiguration"]["level"].is_null());
    }
    for result in run["results"].as_array().unwrap() {
        let rule = result["ruleId"].as_str().unwrap();
        assert!(rules.iter().any(|r| r["id"] == rule), "{fixture}: {rule}");
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with("./") && !uri.starts_with('/') && !uri.contains("://"),
            "{fixture}: {uri}"
        );
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                location["region"][key].as_u64().is_some(),
                "{fixture}: {key}"
            );
        }
        let hash = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert!(hash.contains(':'), "{fixture}: {hash}");
    }
}

#[test]
fn sarif_fingerprint_stays_when_unrelated_lines_move() {
    let dir = tempfile::tempdir().unwrap();
    let source = root().join("fixtures/step-alert-before-failing-step/.github/workflows");
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let text = std::fs::read_to_string(source.join("nightly-sync.yml")).unwrap();
    std::fs::write(workflows.join("nightly-sync.yml"), &text).unwrap();
    let before = results(dir.path());
    let moved = format!("# a comment that moves every line down\n\n{text}");
    std::fs::write(workflows.join("nightly-sync.yml"), moved).unwrap();
    let after = results(dir.path());

    assert_eq!(before.len(), after.len());
    assert!(!before.is_empty());
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(old.0, new.0, "fingerprints differ");
        assert_eq!(old.1 + 2, new.1, "the line did move");
    }
}

/// (fingerprint, start line) of each result.
fn results(repo: &Path) -> Vec<(String, u64)> {
    let (_, text) = run(alertlint().args([
        "check",
        "--offline",
        repo.to_str().unwrap(),
        "--format",
        "sarif",
    ]));
    let sarif: Value = serde_json::from_str(&text).unwrap();
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let hash = r["partialFingerprints"]["primaryLocationLineHash"].clone();
            let line = &r["locations"][0]["physicalLocation"]["region"]["startLine"];
            (hash.as_str().unwrap().to_string(), line.as_u64().unwrap())
        })
        .collect()
}

#[test]
fn sarif_marks_waived_findings_as_suppressed_with_the_justification() {
    let (code, text) = check("exception-config-live", "sarif");
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "missing-failure-alert");
    let suppression = &result["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(
        suppression["justification"],
        "The vendor's scheduler pages on-call when the sync fails (ticket SEC-412)"
    );

    let (_, text) = check("exception-inline-ignore", "sarif");
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "inSource"
    );
}

#[test]
fn inside_github_actions_paths_and_category_name_the_scanned_folder() {
    let (_, text) = run(alertlint().env("GITHUB_WORKSPACE", root()).args([
        "check",
        "--offline",
        "fixtures/step-alert-missing",
        "--format",
        "sarif",
    ]));
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let sarif_run = &sarif["runs"][0];
    assert_eq!(
        sarif_run["automationDetails"]["id"],
        "alertlint/fixtures/step-alert-missing/"
    );
    assert_eq!(
        sarif_run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/step-alert-missing/.github/workflows/nightly-sync.yml"
    );

    let (_, annotations) = run(alertlint().env("GITHUB_WORKSPACE", root()).args([
        "check",
        "--offline",
        "fixtures/step-alert-missing",
        "--format",
        "github",
    ]));
    assert!(
        annotations.starts_with(
            "::error file=fixtures/step-alert-missing/.github/workflows/nightly-sync.yml,line=9,"
        ),
        "{annotations}"
    );
}

#[test]
fn sarif_category_flag_sets_the_automation_id() {
    let (_, text) = run(alertlint().args([
        "check",
        "--offline",
        "fixtures/step-alert-missing",
        "--format",
        "sarif",
        "--sarif-category",
        "alertlint/payments",
    ]));
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "alertlint/payments/"
    );
}

#[test]
fn junit_of_every_fixture_is_xml_whose_counts_match_its_test_cases() {
    for fixture in judged_fixtures() {
        let (code, text) = check(&fixture, "junit");
        let document = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{fixture}: not XML: {e}\n{text}"));
        let top = document.root_element();
        assert_eq!(top.tag_name().name(), "testsuites", "{fixture}");
        let count = |tag: &str| {
            document
                .descendants()
                .filter(|n| n.has_tag_name(tag))
                .count()
        };
        let attribute = |name: &str| top.attribute(name).unwrap().parse::<usize>().unwrap();
        assert_eq!(attribute("tests"), count("testcase"), "{fixture}: tests");
        assert_eq!(
            attribute("failures"),
            count("failure"),
            "{fixture}: failures"
        );
        assert_eq!(attribute("skipped"), count("skipped"), "{fixture}: skipped");
        assert_eq!(
            count("failure") > 0,
            code == 1,
            "{fixture}: the report fails exactly when the control does"
        );
    }
}

#[test]
fn junit_has_a_failure_for_the_not_alerted_job_and_a_skip_for_the_unverified_one() {
    let (_, text) = check("step-alert-missing", "junit");
    let document = roxmltree::Document::parse(&text).unwrap();
    let case = document
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("name"), Some("sync"));
    assert_eq!(
        case.attribute("classname"),
        Some(".github/workflows/nightly-sync.yml")
    );
    assert!(case.children().any(|n| n.has_tag_name("failure")));

    let (_, text) = check("remote-reusable-workflow-only-job", "junit");
    let document = roxmltree::Document::parse(&text).unwrap();
    // The online checks, skipped as --offline asks, have testcases of their own.
    let skipped: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .filter(|n| n.parent().and_then(|c| c.attribute("classname")) != Some("online"))
        .collect();
    assert_eq!(skipped.len(), 1, "{text}");
}

/// Fixtures whose github, junit and markdown output is pinned: a pass, a fail with two
/// errors, an unverified job, a broken file, and live, expired and invalid exceptions.
const SNAPSHOTTED: &[&str] = &[
    "nightly-sync-monthly-billing",
    "step-alert-before-failing-step",
    "remote-reusable-workflow-only-job",
    "broken-yaml-next-to-good-workflow",
    "exception-config-live",
    "exception-config-expired",
    "exception-without-reason",
    "exception-inline-ignore",
];

#[test]
fn github_junit_and_markdown_output_match_reviewed_snapshots() {
    for fixture in SNAPSHOTTED {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(*fixture);
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            for format in ["github", "junit", "markdown"] {
                let (code, text) = check(fixture, format);
                insta::assert_snapshot!(format, format!("exit: {code}\n{text}"));
            }
        });
    }
}

#[test]
fn github_commands_escape_data_and_properties() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(
        workflows.join("a,b:c%.yml"),
        "on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    runs-on: x\n    steps:\n      - run: ./sync\n",
    )
    .unwrap();
    let (code, text) = run(alertlint().args([
        "check",
        "--offline",
        dir.path().to_str().unwrap(),
        "-f",
        "github",
    ]));
    assert_eq!(code, 1);
    assert!(
        text.starts_with("::error file=.github/workflows/a%2Cb%3Ac%25.yml,line=5,"),
        "{text}"
    );
    assert!(text.lines().all(|line| line.starts_with("::")), "{text}");
}

/// Machine formats written to files leave standard output to the human report.
#[test]
fn human_report_and_two_machine_formats_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("alertlint.sarif");
    let junit = dir.path().join("alertlint.xml");
    let (code, stdout) = run(alertlint().args([
        "check",
        "--offline",
        "fixtures/step-alert-missing",
        "--format",
        &format!("sarif={}", sarif.display()),
        "--format",
        &format!("junit={}", junit.display()),
    ]));

    assert_eq!(code, 1);
    assert!(
        stdout.contains("SOC2-09 Critical Failure Alerting: FAIL"),
        "{stdout}"
    );
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "missing-failure-alert"
    );
    let junit = std::fs::read_to_string(junit).unwrap();
    let document = roxmltree::Document::parse(&junit).unwrap();
    assert_eq!(document.root_element().attribute("failures"), Some("1"));
}

#[test]
fn step_summary_is_appended_in_github_actions_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let args = [
        "check",
        "--offline",
        "fixtures/step-alert-missing",
        "--format",
        "json",
    ];
    run(alertlint().env("GITHUB_STEP_SUMMARY", &summary).args(args));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n### ❌ SOC2-09"), "{text}");

    run(alertlint()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(args)
        .arg("--no-step-summary"));
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), text);
}

#[test]
fn fail_on_decides_which_findings_fail_the_run() {
    let warning_only = "slack-v2-without-errors-input";
    let fails = |fixture: &str, fail_on: &str| {
        run(alertlint().args([
            "check",
            "--offline",
            &format!("fixtures/{fixture}"),
            "--fail-on",
            fail_on,
        ]))
        .0
    };
    assert_eq!(fails(warning_only, "error"), 0);
    assert_eq!(fails(warning_only, "warning"), 1);
    assert_eq!(fails("step-alert-missing", "error"), 1);
    assert_eq!(fails("step-alert-missing", "never"), 0);
    assert_eq!(fails("remote-reusable-workflow-only-job", "error"), 3);
}
