//! What ships for CI beside the binary: the GitHub Action in `action.yml`, the workflow the
//! README tells users to commit, and the pre-commit hook.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(relative: &str) -> Value {
    let text = std::fs::read_to_string(root().join(relative)).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

fn action_steps() -> Vec<Value> {
    yaml("action.yml")["runs"]["steps"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn action_is_composite_with_the_documented_inputs() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs: Vec<&str> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(inputs, ["path", "args", "token", "sarif-file", "fail-on"]);
}

/// An input pasted into a script is code an attacker can write; inputs must arrive
/// through `env:` instead.
#[test]
fn action_scripts_read_inputs_only_from_the_environment() {
    for step in action_steps() {
        let script = step["run"].as_str().unwrap();
        assert!(!script.contains("${{"), "{script}");
    }
}

/// The "Run alertlint" step, executed by hand as the runner would: bash, the inputs in
/// the environment, and the binary on PATH.
#[test]
fn action_run_step_judges_the_workspace_and_writes_sarif_and_outputs() {
    let step = action_steps()
        .into_iter()
        .find(|s| s["id"] == "check")
        .unwrap();
    let script = step["run"].as_str().unwrap().to_string();
    let workspace = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/step-alert-missing/.github");
    copy_tree(&fixture, &workspace.path().join(".github"));
    let output_file = workspace.path().join("github-output");
    let summary = workspace.path().join("summary.md");

    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(workspace.path())
        .env("PATH", path_with_binary())
        .env("ALERTLINT_PATH", ".")
        .env("ALERTLINT_ARGS", "--offline --color never")
        .env("ALERTLINT_SARIF_FILE", "alertlint.sarif")
        .env("ALERTLINT_FAIL_ON", "error")
        .env("GITHUB_TOKEN", "")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", workspace.path())
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("SOC2-09 Critical Failure Alerting: FAIL"));
    assert!(stdout.contains("::error file=.github/workflows/nightly-sync.yml,line=9,"));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace.path().join("alertlint.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "alertlint/");
    let outputs = std::fs::read_to_string(output_file).unwrap();
    assert_eq!(outputs, "sarif-file=alertlint.sarif\n");
    assert!(
        std::fs::read_to_string(summary)
            .unwrap()
            .contains("| `sync` |")
    );

    let never = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(workspace.path())
        .env("PATH", path_with_binary())
        .env("ALERTLINT_PATH", ".")
        .env("ALERTLINT_ARGS", "")
        .env("ALERTLINT_SARIF_FILE", "")
        .env("ALERTLINT_FAIL_ON", "never")
        .env("GITHUB_OUTPUT", workspace.path().join("second-output"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(never.status.code(), Some(0));
}

fn path_with_binary() -> String {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_alertlint"));
    let dir = binary.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        match entry.file_type().unwrap().is_dir() {
            true => copy_tree(&entry.path(), &target),
            false => {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
}

/// The workflow the README's "GitHub Actions" section tells users to commit.
fn readme_workflow() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("A complete workflow").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_string()
}

#[test]
fn readme_workflow_uses_the_action_and_uploads_its_sarif() {
    let workflow: Value = yaml_serde::from_str(&readme_workflow()).unwrap();
    let steps = workflow["jobs"]["alertlint"]["steps"].as_array().unwrap();
    let action = steps
        .iter()
        .find(|s| s["uses"].as_str().unwrap().contains("/alertlint@"))
        .unwrap();
    let upload = steps
        .iter()
        .find(|s| s["uses"].as_str().unwrap().contains("upload-sarif"))
        .unwrap();
    assert_eq!(upload["with"]["sarif_file"], action["with"]["sarif-file"]);
    assert_eq!(upload["if"], "${{ !cancelled() }}");
    let permissions = &workflow["jobs"]["alertlint"]["permissions"];
    assert_eq!(permissions["security-events"], "write");
}

#[test]
fn readme_workflow_is_a_valid_workflow_to_alertlint() {
    let repo = tempfile::tempdir().unwrap();
    let workflows = repo.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(workflows.join("alertlint.yml"), readme_workflow()).unwrap();
    let output = Command::cargo_bin("alertlint")
        .unwrap()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "check",
            "--offline",
            repo.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]));
}

#[test]
fn pre_commit_hook_runs_the_offline_check_once_when_workflows_change() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "alertlint");
    assert_eq!(hook["entry"], "alertlint check --offline");
    assert_eq!(hook["pass_filenames"], false);
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    for changed in [
        ".github/workflows/nightly.yml",
        ".github/workflows/billing.yaml",
        ".github/actions/notify/action.yml",
        ".github/alertlint.yml",
    ] {
        assert!(files.is_match(changed), "{changed}");
    }
    for unrelated in ["src/main.rs", ".github/workflows/sub/x.yml", "README.md"] {
        assert!(!files.is_match(unrelated), "{unrelated}");
    }
}
