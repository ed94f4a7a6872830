//! The commands around `check`: the config's JSON Schema and `config check`, shell
//! completions and the man page.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn alertlint() -> Command {
    let mut command = Command::cargo_bin("alertlint").unwrap();
    command
        .current_dir(root())
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("ALERTLINT_TODAY", "2026-06-01");
    command
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("schemas/alertlint.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn config_schema_prints_the_schema_shipped_in_the_repository() {
    let output = alertlint().args(["config", "schema"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, schema());
}

/// The schema accepts a fixture's config exactly when `check` neither stops on it nor
/// finds an exception in it that cannot waive anything.
#[test]
fn schema_accepts_the_configs_check_accepts_and_rejects_the_others() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join(".github/alertlint.yml")) else {
            continue;
        };
        seen += 1;
        let config: Value = yaml_serde::from_str(&text).unwrap();
        let output = alertlint()
            .args([
                "check",
                "--offline",
                dir.to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let accepted = output.status.code() != Some(2)
            && !String::from_utf8_lossy(&output.stdout).contains("\"exception-invalid\"");
        assert_eq!(
            validator.is_valid(&config),
            accepted,
            "{}: the schema and check disagree",
            dir.display()
        );
    }
    assert!(seen >= 6, "{seen} fixture configs");
}

#[test]
fn schema_lists_every_rule_an_exception_can_name() {
    let listed: Vec<String> = schema()["definitions"]["exception"]["properties"]["rule"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    let rules: Vec<String> = alertlint::rules::Catalogue::builtin()
        .control
        .rules
        .iter()
        .map(|r| r.id.clone())
        .filter(|id| !id.starts_with("exception-"))
        .collect();
    assert_eq!(listed, rules);
}

fn config_check(text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alertlint.yml");
    std::fs::write(&file, text).unwrap();
    alertlint()
        .args(["config", "check", file.to_str().unwrap()])
        .assert()
}

#[test]
fn config_check_accepts_a_valid_config() {
    config_check("critical: [.github/workflows/nightly-*.yml]\nexceptions:\n  - rule: missing-failure-alert\n    path: .github/workflows/x.yml\n    reason: accepted\n")
        .code(0)
        .stdout(predicate::str::contains("valid"));
}

#[test]
fn config_check_reports_an_unknown_key_with_its_line() {
    config_check("critical: []\nexceptions:\n  - rule: missing-failure-alert\n    paht: x.yml\n")
        .code(1)
        .stderr(predicate::str::contains("unknown field `paht`"))
        .stderr(predicate::str::contains("line 4"));
}

#[test]
fn config_check_reports_a_wrong_type_with_its_line() {
    config_check("critical: []\nrequired_secrets: 3\n")
        .code(1)
        .stderr(predicate::str::contains("line 2"));
}

#[test]
fn config_check_reports_exceptions_that_cannot_waive_anything_with_their_line() {
    config_check("exceptions:\n  - rule: missing-failure-alert\n    path: x.yml\n    reason: fine\n  - rule: missing-failure-alert\n    path: y.yml\n    expires: 2027-03-01\n  - rule: no-such-rule\n    path: z.yml\n    reason: fine\n    expires: soon\n")
        .code(1)
        .stderr(predicate::str::contains("alertlint.yml:5:5"))
        .stderr(predicate::str::contains("gives no reason"))
        .stderr(predicate::str::contains("alertlint.yml:8:5"))
        .stderr(predicate::str::contains("`no-such-rule`"))
        .stderr(predicate::str::contains("alertlint.yml:2:").not());
}

#[test]
fn config_check_of_a_missing_file_says_what_to_pass() {
    alertlint()
        .args(["config", "check", "/definitely/not/here.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be read"));
}

#[test]
fn completions_cover_the_subcommands() {
    alertlint()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("alertlint"))
        .stdout(predicate::str::contains("explain"))
        .stdout(predicate::str::contains("--sarif-category"));
}

#[test]
fn man_page_is_roff_naming_the_commands() {
    alertlint()
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(".TH alertlint"))
        .stdout(predicate::str::contains("completions"));
}
