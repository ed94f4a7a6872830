//! No secret ever leaves alertlint. Canary secrets sit in the environment (`GH_TOKEN`,
//! `GITHUB_TOKEN`) and are written into workflows, a config and even a path; then every
//! command and format runs, at every verbosity, to stdout and to files, and a forced
//! panic too. Their secret parts must appear in none of the output, while the redacted
//! forms must, which proves the canaries did reach it.

mod common;

use std::ffi::OsString;
use std::path::Path;

use common::{run_measured, write};

/// A webhook URL in the catalogue's Slack form; its secret part is after `/services/`.
const WEBHOOK: &str =
    "https://hooks.slack.com/services/T0CANARY1/B0CANARY2/CanarySecretPart0123456789ab";
/// Matches the GitHub token pattern, so it is hidden by its shape.
const GH_TOKEN: &str = "ghs_Canary0GhToken0Value00000000000000001";
/// Matches no pattern: only knowing the variable's value can hide it.
const GITHUB_TOKEN: &str = "canary-github-token-7f3a9c2e1b";

/// What must never be seen: the secret part of each canary.
const SECRET_PARTS: [&str; 3] = [
    "CanarySecretPart0123456789ab",
    "Canary0GhToken0Value",
    "canary-github-token-7f3a9c2e1b",
];

const ENV: [(&str, &str); 2] = [("GH_TOKEN", GH_TOKEN), ("GITHUB_TOKEN", GITHUB_TOKEN)];

fn nightly() -> String {
    format!(
        "name: Nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./sync.sh\n      - name: \"Alert {WEBHOOK}\"\n        if: failure()\n        run: curl -fsS -X POST {WEBHOOK} -d '{{}}'\n      - name: \"Publish with {GITHUB_TOKEN}\"\n        run: ./publish.sh --token {GH_TOKEN}\n"
    )
}

/// A repository where the canaries reach findings, messages, snippets and the summary.
fn canary_repository(root: &Path) {
    write(root, ".github/workflows/nightly.yml", nightly());
    write(
        root,
        ".github/workflows/broken.yml",
        format!("on: push\njobs: \"{WEBHOOK}\"\n"),
    );
    write(
        root,
        "bad-config.yml",
        format!("critical: \"{WEBHOOK} {GITHUB_TOKEN}\"\n"),
    );
}

struct Output {
    command: String,
    text: String,
}

fn run(args: &[OsString], env: &[(&str, &str)]) -> Vec<Output> {
    let run = run_measured(args, env);
    let command = format!("{args:?}");
    vec![
        Output {
            command: format!("{command} stdout"),
            text: run.stdout,
        },
        Output {
            command: format!("{command} stderr"),
            text: run.stderr,
        },
    ]
}

fn args(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

#[test]
fn no_command_format_or_verbosity_prints_a_canary_secret() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    canary_repository(&root);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let token_path = dir
        .path()
        .join(format!("missing-{GITHUB_TOKEN}-{GH_TOKEN}"));
    let bad_config = root.join("bad-config.yml");

    let mut runs: Vec<Vec<OsString>> = vec![
        args(&[&"check", &"--offline", &root]),
        args(&[&"check", &"--offline", &root, &"--color", &"always"]),
        args(&[&"check", &"--offline", &root, &"--format", &"json"]),
        args(&[
            &"check",
            &root,
            &"--format",
            &format!("human={}", out.join("report.txt").display()),
            &"--format",
            &format!("json={}", out.join("report.json").display()),
        ]),
        args(&[&"-v", &"check", &"--offline", &root, &"--format", &"json"]),
        args(&[&"-vv", &"check", &"--offline", &root]),
        args(&[&"-vv", &"check", &"--offline", &token_path]),
        args(&[&"check", &"--offline", &root, &"--config", &bad_config]),
        args(&[
            &"check",
            &"--offline",
            &root,
            &"--critical",
            &format!("[{WEBHOOK}"),
        ]),
        args(&[&"explain"]),
        args(&[&"explain", &format!("no-such-rule-{GH_TOKEN}")]),
        args(&[&"--help"]),
        args(&[&"check", &"--offline", &"--help"]),
        args(&[&"--version"]),
        args(&[
            &"check",
            &"--offline",
            &root,
            &"--format",
            &format!("yaml-{WEBHOOK}"),
        ]),
    ];
    let rules = run_measured(["explain"], &[]).stdout;
    for rule in rules.lines().filter_map(|l| l.split_whitespace().next()) {
        runs.push(args(&[&"explain", &rule]));
    }

    let mut outputs: Vec<Output> = runs.iter().flat_map(|a| run(a, &ENV)).collect();
    let panic_message = format!("{WEBHOOK} {GH_TOKEN} {GITHUB_TOKEN}");
    let panic_env = [
        ENV[0],
        ENV[1],
        ("ALERTLINT_TEST_PANIC", panic_message.as_str()),
    ];
    outputs.extend(run(&args(&[&"check", &"--offline", &root]), &panic_env));
    for file in std::fs::read_dir(&out).unwrap() {
        let path = file.unwrap().path();
        outputs.push(Output {
            command: path.display().to_string(),
            text: std::fs::read_to_string(&path).unwrap(),
        });
    }

    for output in &outputs {
        for secret in SECRET_PARTS {
            assert!(
                !output.text.contains(secret),
                "{}: shows `{secret}`:\n{}",
                output.command,
                output.text
            );
        }
    }
    let everything: String = outputs.iter().map(|o| o.text.as_str()).collect();
    for redacted in [
        "https://hooks.slack.com/services/***",
        "https://hooks.slack.com/services/*****",
        "--token *****",
        "Publish with ***",
        "alertlint: internal error",
    ] {
        assert!(
            everything.contains(redacted),
            "the canaries never reached the output as `{redacted}`"
        );
    }
    assert_eq!(
        outputs.len(),
        2 * (runs.len() + 1) + 2,
        "both report files written"
    );
}

#[test]
fn a_panic_prints_a_short_redacted_message_and_exits_as_a_tool_error() {
    let message = format!("boom near {WEBHOOK} with {GITHUB_TOKEN}");
    let env = [ENV[0], ENV[1], ("ALERTLINT_TEST_PANIC", message.as_str())];
    let run = run_measured(["explain"], &env);
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let first = run.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("alertlint: internal error at src/debug_hooks.rs:"),
        "{}",
        run.stderr
    );
    assert!(
        first.ends_with(": boom near https://hooks.slack.com/services/*** with ***"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("RUST_BACKTRACE"), "{}", run.stderr);
}
