//! The command line's contract for bad input: one clear message, the right exit code, and
//! never a panic. Every other file is still judged.

use std::path::Path;

use predicates::prelude::*;

mod common;

use common::alertlint;

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const GOOD: &str = "name: Nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./sync.sh\n      - if: failure()\n        run: curl -fsS -X POST \"${{ secrets.SLACK_WEBHOOK_URL }}\" -d '{\"text\":\"failed\"}'\n";

#[test]
fn missing_path_is_a_tool_error_with_one_message() {
    alertlint()
        .args(["check", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such directory"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn a_file_path_instead_of_a_directory_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.txt", "hello");
    alertlint()
        .args(["check", dir.path().join("x.txt").to_str().unwrap()])
        .assert()
        .code(2);
}

#[test]
fn unknown_config_key_names_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    write(
        dir.path(),
        ".github/alertlint.yml",
        "critical:\n  - '*.yml'\nrequired_secret:\n  - X\n",
    );
    alertlint()
        .args(["check", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `required_secret`"))
        .stderr(predicate::str::contains("line 3, column 1"));
}

#[test]
fn config_with_a_wrong_type_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    write(dir.path(), ".github/alertlint.yml", "critical: 3\n");
    alertlint()
        .args(["check", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"));
}

#[test]
fn file_that_is_not_yaml_is_reported_and_the_others_are_still_judged() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    write(
        dir.path(),
        ".github/workflows/broken.yml",
        "jobs: [unclosed\n  x: {\n",
    );
    write(
        dir.path(),
        ".github/workflows/binary.yaml",
        "\u{0}\u{1}\u{2}garbage",
    );
    let output = alertlint()
        .args(["check", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let errors: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "workflow-parse-error")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        errors.contains(&".github/workflows/broken.yml"),
        "{errors:?}"
    );
    assert!(
        errors.contains(&".github/workflows/binary.yaml"),
        "{errors:?}"
    );
    let nightly = report["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["path"] == ".github/workflows/nightly.yml")
        .unwrap();
    assert_eq!(nightly["jobs"][0]["verdict"], "alerted");
}

#[test]
fn parse_errors_carry_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/broken.yml",
        "name: x\non: push\njobs:\n  a:\n    steps: [\n",
    );
    let output = alertlint()
        .args(["check", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "workflow-parse-error");
    assert!(finding["line"].as_u64().unwrap() >= 5, "{finding}");
    assert!(finding["column"].as_u64().is_some(), "{finding}");
}

#[test]
fn empty_workflow_and_workflow_without_jobs_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/empty.yml", "");
    write(
        dir.path(),
        ".github/workflows/comments.yml",
        "# nothing here\n",
    );
    write(
        dir.path(),
        ".github/workflows/nojobs.yml",
        "on: push\njobs: {}\n",
    );
    write(
        dir.path(),
        ".github/workflows/nojobskey.yml",
        "on: push\nname: x\n",
    );
    let output = alertlint()
        .args(["check", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 4, "{report}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[test]
fn empty_workflows_folder_passes_with_nothing_to_judge() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    alertlint()
        .args(["check", dir.path().to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No workflow files found"));
}

#[test]
fn path_without_a_workflows_folder_is_a_tool_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    alertlint()
        .args(["check", dir.path().join(".github").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "has no .github/workflows directory",
        ))
        .stderr(predicate::str::contains("did you mean"));
}

#[test]
fn without_a_token_the_online_checks_are_skipped_and_the_control_is_unverified() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    let output = alertlint()
        .args(["check", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["control"]["status"], "unverified");
    let checks = report["online"]["checks"].as_array().unwrap();
    let secrets = checks.iter().find(|c| c["id"] == "secrets").unwrap();
    assert_eq!(secrets["status"], "skipped");
    assert!(
        secrets["reason"].as_str().unwrap().contains("GH_TOKEN"),
        "{secrets}"
    );
    let remote = checks.iter().find(|c| c["id"] == "remote-files").unwrap();
    assert_eq!(remote["status"], "pass", "nothing to read needs no token");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "online-check-unverified")
    );
}

#[test]
fn offline_lists_the_online_checks_as_skipped_and_keeps_the_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    let output = alertlint()
        .args([
            "check",
            dir.path().to_str().unwrap(),
            "--offline",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["online"]["offline"], true);
    let statuses: Vec<&str> = report["online"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["skipped", "skipped", "skipped", "pass"]);
}

/// Runs `check` on a repository holding one good workflow, with `extra` arguments, and
/// expects a tool error (exit 2) whose message contains `expected`.
fn assert_tool_error(extra: &[&str], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    alertlint()
        .arg("check")
        .arg(dir.path())
        .args(extra)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(expected));
}

#[test]
fn malformed_repo_argument_is_a_tool_error() {
    assert_tool_error(&["--repo", "not-a-slug"], "OWNER/NAME");
}

#[test]
fn explain_prints_a_rule_and_rejects_unknown_ones() {
    alertlint()
        .args(["explain", "missing-failure-alert"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("What to do"));
    alertlint()
        .args(["explain", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule named"));
}

#[test]
fn unknown_format_is_a_tool_error() {
    alertlint()
        .args(["check", ".", "--format", "yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format"));
}

#[test]
fn json_and_human_can_be_written_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/nightly.yml", GOOD);
    let out = dir.path().join("report.json");
    alertlint()
        .args([
            "check",
            dir.path().to_str().unwrap(),
            "--offline",
            "--format",
            "human",
            "--format",
            &format!("json={}", out.display()),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "SOC2-09 Critical Failure Alerting: PASS",
        ));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(report["control"]["status"], "pass");
}

#[test]
fn colour_follows_no_color_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/nightly.yml",
        &GOOD.replace("      - if: failure()\n", "      - if: success()\n"),
    );
    let plain = alertlint()
        .args(["check", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    let coloured = alertlint()
        .args(["check", dir.path().to_str().unwrap(), "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
}

#[test]
fn critical_pattern_that_matches_nothing_is_a_tool_error() {
    assert_tool_error(
        &["--critical", ".github/workflows/nightlyy.yml"],
        "matches no workflow",
    );
}

#[test]
fn two_formats_on_standard_output_are_refused() {
    alertlint()
        .args(["check", ".", "--format", "json", "--format", "human"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard output"));
}

#[test]
fn hardcoded_webhook_never_appears_in_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "T0CANARY1/B0CANARY2/c4n4ryc4n4ryc4n4ryc4n4ry";
    let workflow = GOOD.replace(
        "\"${{ secrets.SLACK_WEBHOOK_URL }}\"",
        &format!("https://hooks.slack.com/services/{secret}"),
    );
    write(dir.path(), ".github/workflows/nightly.yml", &workflow);
    for format in ["human", "json"] {
        let output = alertlint()
            .args([
                "check",
                dir.path().to_str().unwrap(),
                "--format",
                format,
                "-vv",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(all.contains("webhook-hardcoded"), "{all}");
        assert!(
            !all.contains("c4n4ry"),
            "{format} output shows the webhook's secret part:\n{all}"
        );
    }
}

#[test]
fn a_hostile_job_id_cannot_start_a_workflow_command_line_in_the_human_report() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = "on:\n  schedule:\n    - cron: '0 1 * * *'\njobs:\n  \"j\\n::warning::INJECTED\\u001b[31m\":\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./sync.sh\n";
    write(dir.path(), ".github/workflows/nightly.yml", workflow);
    let output = alertlint()
        .args(["check", "--offline", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("INJECTED"), "{stdout}");
    for line in stdout.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "a line the runner would obey: {line}"
        );
    }
    assert!(
        !stdout.contains('\u{1b}'),
        "an escape sequence reached the report"
    );
}
