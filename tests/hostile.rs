//! Hostile repositories: files built to crash, hang or exhaust alertlint, and symlinks
//! built to make it read outside the repository it judges. Each case must end with a
//! clear finding or error, within 2 seconds of CPU time and 200 MB of memory, and must
//! never pass the control or read a file outside the scanned root.

mod common;

use std::ffi::OsStr;

use common::{GOOD, check_json, run_measured, symlink, write};

const NIGHTLY: &str = ".github/workflows/nightly.yml";
const HOSTILE: &str = ".github/workflows/hostile.yml";

/// A workflow outside the scanned root that would pass if it were read.
const OUTSIDE_MARKER: &str = "Outside the scanned root";

fn outside_workflow() -> String {
    GOOD.replace("name: Nightly", &format!("name: {OUTSIDE_MARKER}"))
}

/// Asserts that the one finding of `rule` is about `path` and says `words`.
fn assert_one_finding(run: &common::Run, rule: &str, path: &str, words: &str) {
    let findings = run.findings(rule);
    assert_eq!(findings.len(), 1, "{rule}: {findings:?}");
    let (found_path, _, message) = &findings[0];
    assert_eq!(found_path, path);
    assert!(message.contains(words), "{rule}: {message}");
}

#[test]
fn alias_bomb_is_a_parse_error_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{aliases}]\n"));
    }
    bomb.push_str("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo *a9\n        env:\n          X: *a9\n");
    write(dir.path(), HOSTILE, bomb);
    let run = check_json(dir.path());
    run.assert_within_bounds("alias bomb");
    assert_eq!(run.code, Some(1));
    assert_one_finding(&run, "workflow-parse-error", HOSTILE, "(an \"alias bomb\")");
}

#[test]
fn flow_nesting_ten_thousand_levels_deep_is_a_parse_error_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "on: push\njobs: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    write(dir.path(), HOSTILE, deep);
    write(dir.path(), NIGHTLY, GOOD);
    let run = check_json(dir.path());
    run.assert_within_bounds("flow nesting");
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-parse-error",
        HOSTILE,
        "`[` and `{` open more than 128 levels deep here",
    );
    let (_, line, _) = &run.findings("workflow-parse-error")[0];
    assert_eq!(*line, Some(2));
}

#[test]
fn block_nesting_ten_thousand_levels_deep_is_a_parse_error_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "on: push\njobs:\n  x:\n    steps:\n      {}run: echo\n",
        "- ".repeat(10_000)
    );
    write(dir.path(), HOSTILE, deep);
    let run = check_json(dir.path());
    run.assert_within_bounds("block nesting");
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-parse-error",
        HOSTILE,
        "the YAML nests more than 128 levels deep",
    );
}

#[test]
fn needs_cycles_and_unknown_needs_are_reported_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let job = |id: &str, needs: &str| {
        format!(
            "  {id}:\n    runs-on: ubuntu-latest\n    needs: {needs}\n    steps:\n      - run: echo\n"
        )
    };
    let workflow = format!(
        "on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n{}{}{}{}{}",
        job("a", "[c]"),
        job("b", "[a]"),
        job("c", "[b]"),
        job("d", "[d]"),
        job("e", "[ghost]"),
    );
    write(dir.path(), HOSTILE, workflow);
    let run = check_json(dir.path());
    run.assert_within_bounds("needs cycle");
    assert_eq!(run.code, Some(1));
    let mut messages: Vec<(Option<u64>, String)> = run
        .findings("workflow-parse-error")
        .into_iter()
        .map(|(_, line, message)| (line, message))
        .collect();
    messages.sort();
    let rejected =
        "; GitHub rejects the workflow, so none of its jobs run and none of its alerts can fire";
    assert_eq!(
        messages,
        vec![
            (
                Some(7),
                format!("the needs of these jobs form a cycle: `a` → `c` → `b` → `a`{rejected}")
            ),
            (
                Some(22),
                format!("the needs of these jobs form a cycle: `d` → `d`{rejected}")
            ),
            (
                Some(27),
                format!("job `e` needs `ghost`, which is not a job of this workflow{rejected}")
            ),
        ]
    );
    assert_eq!(run.report()["control"]["status"], "fail");
}

#[test]
fn file_that_is_not_utf8_is_reported_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), HOSTILE, b"on: push\njobs:\n  x: \xff\xfe\n");
    write(dir.path(), NIGHTLY, GOOD);
    let run = check_json(dir.path());
    run.assert_within_bounds("not UTF-8");
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-parse-error",
        HOSTILE,
        "the file is not valid UTF-8 text",
    );
    assert_eq!(run.findings("workflow-parse-error")[0].1, Some(3));
}

#[test]
fn binary_files_are_reported_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut noise = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state: u32 = 0x2545_f491;
    for _ in 0..256 * 1024 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        noise.push(state.to_le_bytes()[0]);
    }
    write(dir.path(), ".github/workflows/image.yml", noise);
    write(
        dir.path(),
        ".github/workflows/zeros.yml",
        vec![0u8; 256 * 1024],
    );
    let run = check_json(dir.path());
    run.assert_within_bounds("binary");
    assert_eq!(run.code, Some(1));
    let mut paths: Vec<String> = run
        .findings("workflow-parse-error")
        .into_iter()
        .map(|(path, _, _)| path)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [".github/workflows/image.yml", ".github/workflows/zeros.yml"]
    );
}

#[test]
fn symlink_loops_under_github_are_reported_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    symlink(dir.path(), ".github/workflows/loop.yml", "loop.yml");
    symlink(dir.path(), ".github/actions/ping", "pong");
    symlink(dir.path(), ".github/actions/pong", "ping");
    let caller = GOOD.replace(
        "      - run: ./sync.sh\n",
        "      - uses: actions/checkout@v4\n      - uses: ./.github/actions/ping\n      - run: ./sync.sh\n",
    );
    write(dir.path(), NIGHTLY, caller);
    let run = check_json(dir.path());
    run.assert_within_bounds("symlink loop");
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-parse-error",
        ".github/workflows/loop.yml",
        "symbolic links",
    );
    assert_one_finding(
        &run,
        "local-reference-refused",
        NIGHTLY,
        "the local reference `./.github/actions/ping` cannot be read: Too many levels of symbolic links",
    );
    assert_eq!(run.findings("local-reference-refused")[0].1, Some(10));
}

#[test]
fn workflows_folder_in_a_symlink_loop_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    symlink(dir.path(), ".github/workflows", "workflows");
    let run = check_json(dir.path());
    run.assert_within_bounds("workflows folder loop");
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr_flat()
            .contains("/.github/workflows: cannot be read: Too many levels of symbolic links"),
        "{}",
        run.stderr
    );
}

#[test]
fn file_over_the_limit_is_not_parsed_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let padding = format!("# {}\n", "x".repeat(1000)).repeat(3 * 1024);
    let size = padding.len() + GOOD.len();
    write(dir.path(), HOSTILE, format!("{padding}{GOOD}"));
    write(dir.path(), NIGHTLY, GOOD);
    let run = check_json(dir.path());
    run.assert_within_bounds("over the limit");
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-too-large",
        HOSTILE,
        &format!("the file is {size} bytes, over the limit of 2097152 bytes; it was not parsed"),
    );
    assert!(run.findings("workflow-parse-error").is_empty());
}

#[test]
fn the_size_limit_follows_max_file_size() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), NIGHTLY, GOOD);
    let run = run_measured(
        [
            OsStr::new("check"),
            OsStr::new("--offline"),
            dir.path().as_os_str(),
            OsStr::new("--format"),
            OsStr::new("json"),
            OsStr::new("--max-file-size"),
            OsStr::new("100"),
        ],
        &[],
    );
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-too-large",
        NIGHTLY,
        "over the limit of 100 bytes",
    );
}

#[test]
fn workflow_symlinked_outside_the_root_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "elsewhere.yml", outside_workflow());
    let dir = tempfile::tempdir().unwrap();
    symlink(
        dir.path(),
        ".github/workflows/borrowed.yml",
        outside.path().join("elsewhere.yml"),
    );
    symlink(dir.path(), ".github/workflows/passwd.yml", "/etc/passwd");
    let run = check_json(dir.path());
    run.assert_within_bounds("workflow symlinked outside");
    assert_eq!(run.code, Some(1));
    let findings = run.findings("workflow-parse-error");
    assert_eq!(findings.len(), 2, "{findings:?}");
    for (_, _, message) in &findings {
        assert!(
            message.starts_with("the path leads outside the scanned repository through a symlink"),
            "{message}"
        );
    }
    assert!(!run.stdout.contains(OUTSIDE_MARKER), "{}", run.stdout);
    assert!(!run.stdout.contains("root:"), "{}", run.stdout);
}

#[test]
fn workflows_folder_symlinked_outside_the_root_is_a_tool_error() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "workflows/elsewhere.yml",
        outside_workflow(),
    );
    let dir = tempfile::tempdir().unwrap();
    symlink(
        dir.path(),
        ".github/workflows",
        outside.path().join("workflows"),
    );
    let run = check_json(dir.path());
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr_flat().contains(
            "/.github/workflows: the path leads outside the scanned repository through a symlink"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains(OUTSIDE_MARKER));
}

#[test]
fn config_symlinked_outside_the_root_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "alertlint.yml",
        "critical: [\"Outside the scanned root\"]\n",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), NIGHTLY, GOOD);
    symlink(
        dir.path(),
        ".github/alertlint.yml",
        outside.path().join("alertlint.yml"),
    );
    let run = check_json(dir.path());
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr_flat().contains(
            ".github/alertlint.yml: the path leads outside the scanned repository through a symlink"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(OUTSIDE_MARKER));
}

#[test]
fn local_references_that_leave_the_root_are_refused_with_a_finding() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "action/action.yml",
        "name: Outside the scanned root\nruns:\n  using: composite\n  steps:\n    - run: curl -X POST https://hooks.slack.com/x\n      shell: bash\n",
    );
    let dir = tempfile::tempdir().unwrap();
    symlink(
        dir.path(),
        ".github/actions/borrowed",
        outside.path().join("action"),
    );
    let steps = "      - uses: actions/checkout@v4\n      - uses: ./../../outside\n      - uses: .//etc/alertlint-action\n      - uses: ./.github/actions/borrowed\n      - run: ./sync.sh\n";
    write(
        dir.path(),
        NIGHTLY,
        GOOD.replace("      - run: ./sync.sh\n", steps),
    );
    let run = check_json(dir.path());
    run.assert_within_bounds("local references");
    let mut refused: Vec<(Option<u64>, String)> = run
        .findings("local-reference-refused")
        .into_iter()
        .map(|(_, line, message)| (line, message))
        .collect();
    refused.sort();
    let tail = ". alertlint reads only files inside the repository it judges, so nothing here can count as an alert route";
    assert_eq!(
        refused,
        vec![
            (
                Some(10),
                format!(
                    "the local reference `./../../outside` was not followed: the path leaves the scanned repository{tail}"
                )
            ),
            (
                Some(11),
                format!(
                    "the local reference `.//etc/alertlint-action` was not followed: absolute paths are refused{tail}"
                )
            ),
            (
                Some(12),
                format!(
                    "the local reference `./.github/actions/borrowed` was not followed: the path leads outside the scanned repository through a symlink{tail}"
                )
            ),
        ]
    );
    assert!(!run.stdout.contains(OUTSIDE_MARKER));
}

#[test]
fn reusable_workflow_call_that_leaves_the_root_is_refused_with_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = "on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    uses: ./../elsewhere/.github/workflows/sync.yml\n";
    write(dir.path(), NIGHTLY, workflow);
    let run = check_json(dir.path());
    run.assert_within_bounds("reusable call");
    assert_eq!(run.findings("local-reference-refused").len(), 1);
    let (_, line, message) = &run.findings("local-reference-refused")[0];
    assert_eq!(*line, Some(6));
    assert!(
        message.starts_with("the local reference `./../elsewhere/.github/workflows/sync.yml` was not followed: the path leaves the scanned repository"),
        "{message}"
    );
    assert_ne!(run.report()["control"]["status"], "pass");
}

#[test]
fn workflow_that_calls_itself_from_every_job_is_too_complex_and_never_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut workflow =
        String::from("on:\n  schedule:\n    - cron: '0 3 * * *'\n  workflow_call:\njobs:\n");
    for job in 0..10 {
        workflow.push_str(&format!(
            "  call{job}:\n    uses: ./.github/workflows/hostile.yml\n"
        ));
    }
    write(dir.path(), HOSTILE, workflow);
    let run = check_json(dir.path());
    run.assert_within_bounds("self-calling workflow");
    assert_eq!(run.code, Some(1));
    assert_one_finding(
        &run,
        "workflow-too-large",
        HOSTILE,
        "the workflow is too complex to judge",
    );
    let report = run.report();
    let verdicts: Vec<&str> = report["workflows"][0]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, vec!["unverified"; 10]);
}
