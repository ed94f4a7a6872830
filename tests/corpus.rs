//! The real-world corpus in `../shared/corpus`: 58 workflow files from 27 public
//! repositories, with hand-judged verdicts in `expected.json`. Every repository must be
//! judged without a crash or a tool error, and every `high`-confidence verdict must match.
//! The corpus is read where it lies, never copied into the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The corpus folder, or `None` (after saying why) when it is absent outside CI.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("ALERTLINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.join("expected.json").is_file() {
        return Some(dir);
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(
        !in_ci,
        "the corpus is missing at {} and CI is set: the corpus test must run in CI",
        dir.display()
    );
    eprintln!(
        "skipping: no corpus at {} (set ALERTLINT_CORPUS to point at it)",
        dir.display()
    );
    None
}

fn check(repo: &Path) -> (i32, Value) {
    let output = Command::cargo_bin("alertlint")
        .unwrap()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "check",
            repo.to_str().unwrap(),
            "--offline",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{}: panicked: {stderr}",
        repo.display()
    );
    assert!(
        matches!(code, 0 | 1 | 3),
        "{}: exit {code}: {stderr}",
        repo.display()
    );
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", repo.display()));
    (code, report)
}

#[test]
fn every_corpus_repository_is_judged_and_high_confidence_verdicts_match() {
    let Some(dir) = corpus() else { return };
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut reports: BTreeMap<String, Value> = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("repos")).unwrap() {
        let repo = entry.unwrap().path();
        let (_, report) = check(&repo);
        reports.insert(
            repo.file_name().unwrap().to_string_lossy().into_owned(),
            report,
        );
    }
    assert!(
        reports.len() >= 27,
        "expected the corpus's repositories, found {}",
        reports.len()
    );

    let mut mismatches = Vec::new();
    let mut compared = 0;
    for workflow in &expected {
        let repo = workflow["repo"].as_str().unwrap();
        let path = workflow["workflow"].as_str().unwrap();
        let report = &reports[repo];
        let judged = report["workflows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["path"] == path);
        let Some(judged) = judged else {
            mismatches.push(format!("{repo} {path}: not in the report"));
            continue;
        };
        if judged["critical"] != workflow["critical"] {
            mismatches.push(format!("{repo} {path}: critical is {}", judged["critical"]));
        }
        for (job, want) in workflow["jobs"].as_object().unwrap() {
            if want["confidence"] != "high" {
                continue;
            }
            compared += 1;
            let got = judged["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|j| j["id"] == *job)
                .map(|j| j["verdict"].clone());
            if got.as_ref() != Some(&want["verdict"]) {
                mismatches.push(format!(
                    "{repo} {path} job {job}: expected {}, got {got:?}",
                    want["verdict"]
                ));
            }
        }
    }
    assert!(
        compared >= 70,
        "only {compared} high-confidence verdicts were compared"
    );
    assert!(
        mismatches.is_empty(),
        "high-confidence verdicts that differ:\n{}",
        mismatches.join("\n")
    );
}
