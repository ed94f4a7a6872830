//! What the tests that run the binary against a GitHub API stand-in share: the
//! workflows they judge, the answers GitHub documents for them, and how to read the
//! JSON report.

use std::process::Output;

use base64::Engine;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A scheduled critical workflow whose alert step reads `SLACK_WEBHOOK_URL`.
pub const NIGHTLY: &str = r#"name: Nightly sync
on:
  schedule:
    - cron: "30 2 * * *"
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - run: ./sync.sh
      - name: Alert on failure
        if: failure() || cancelled()
        uses: slackapi/slack-github-action@v2.1.0
        with:
          webhook: ${{ secrets.SLACK_WEBHOOK_URL }}
          webhook-type: incoming-webhook
          errors: true
          payload: |
            text: "Nightly sync failed"
"#;

pub const NIGHTLY_PATH: &str = ".github/workflows/nightly.yml";

/// A scheduled critical workflow whose only job calls a remote reusable workflow.
pub const CALLER: &str = r#"name: Nightly sanctions list sync
on:
  schedule:
    - cron: "30 2 * * *"
jobs:
  sync:
    uses: acme/platform/.github/workflows/sanctions-sync.yml@v3
    secrets: inherit
"#;

/// The remote reusable workflow `CALLER` calls; its alert reads `PAGER_WEBHOOK`.
pub const REMOTE_CALLEE: &str = r#"name: Sanctions sync
on:
  workflow_call:
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - run: ./sync.sh
      - if: failure() || cancelled()
        run: curl -fsS -X POST "${{ secrets.PAGER_WEBHOOK }}" -d '{"text":"sync failed"}'
"#;

/// A folder holding `files`, each a path relative to it and its text.
pub fn repository(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (relative, text) in files {
        let file = dir.path().join(relative);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    dir
}

pub fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The online check `id` of a JSON report.
pub fn check<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["online"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

/// A page of a secrets list naming `names`.
pub fn secrets_page(names: &[&str]) -> Value {
    let secrets: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({"name": name, "created_at": "2024-02-01T10:00:00Z", "updated_at": "2025-01-15T08:30:00Z"})
        })
        .collect();
    json!({"total_count": names.len(), "secrets": secrets})
}

/// A workflow's runs, the newest created `age` ago and ended with `conclusion`.
pub fn runs(age: Duration, conclusion: &str) -> Value {
    let created = (Utc::now() - age).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({"total_count": 40, "workflow_runs": [{
        "id": 30433642,
        "name": "Nightly sync",
        "head_branch": "main",
        "run_number": 562,
        "event": "schedule",
        "status": "completed",
        "conclusion": conclusion,
        "workflow_id": 161335,
        "created_at": created,
        "updated_at": created,
        "run_started_at": created,
        "html_url": "https://github.com/acme/billing/actions/runs/30433642"
    }]})
}

/// The contents API's answer for a file: base64 in lines of 60, as GitHub sends it.
pub fn contents(path: &str, text: &str) -> Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    json!({
        "type": "file",
        "encoding": "base64",
        "size": text.len(),
        "name": path.rsplit('/').next().unwrap(),
        "path": path,
        "content": wrapped.join("\n") + "\n",
        "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
        "url": "https://api.github.com/repos/acme/platform/contents/x",
        "git_url": "https://api.github.com/repos/acme/platform/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1",
        "html_url": "https://github.com/acme/platform/blob/v3/x",
        "download_url": "https://raw.githubusercontent.com/acme/platform/v3/x",
        "_links": {"self": "https://api.github.com/repos/acme/platform/contents/x"}
    })
}
