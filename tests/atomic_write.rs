//! Output files are replaced in one step: a reader, or a run killed at the worst moment,
//! finds the old report or the complete new one, never half of one. The binary is paused
//! by a debug-build hook after its temporary file is complete and before the rename, and
//! killed there with SIGKILL.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{GOOD, run_measured, write};

const OLD_REPORT: &str = "the previous report\n";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The names in `folder` other than `keep`, sorted.
fn other_files(folder: &Path, keep: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != keep)
        .collect();
    names.sort();
    names
}

fn json_report_arg(path: &Path) -> String {
    format!("json={}", path.display())
}

#[test]
fn a_run_killed_before_the_rename_leaves_the_old_report_whole() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(&repo, ".github/workflows/nightly.yml", GOOD);
    let out = dir.path().join("out");
    write(&out, "report.json", OLD_REPORT);
    std::fs::set_permissions(out.join("report.json"), PermissionsExt::from_mode(0o640)).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_alertlint"))
        .args([
            "check".as_ref(),
            "--offline".as_ref(),
            repo.as_os_str(),
            "--format".as_ref(),
        ])
        .arg(json_report_arg(&out.join("report.json")))
        .env("ALERTLINT_TEST_PAUSE_BEFORE_RENAME_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("paused before rename") {
        line.clear();
        assert_ne!(
            stderr.read_line(&mut line).unwrap(),
            0,
            "exited without pausing"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(
        std::fs::read_to_string(out.join("report.json")).unwrap(),
        OLD_REPORT
    );
    let left = other_files(&out, "report.json");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with(".report.json.") && left[0].ends_with(".tmp"),
        "{left:?}"
    );
    let orphan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(&left[0])).unwrap()).unwrap();
    assert_eq!(
        orphan["control"]["status"], "pass",
        "the orphan is complete"
    );

    let run = run_measured(
        [
            "check".as_ref(),
            "--offline".as_ref(),
            repo.as_os_str(),
            "--format".as_ref(),
            json_report_arg(&out.join("report.json")).as_ref(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["control"]["status"], "pass");
    assert_eq!(mode(&out.join("report.json")), 0o640);
    assert_eq!(
        other_files(&out, "report.json"),
        left,
        "no new temporary file"
    );
}

#[test]
fn a_new_report_gets_the_permissions_a_plain_write_would_give() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(&repo, ".github/workflows/nightly.yml", GOOD);
    write(dir.path(), "plain.txt", "written with std::fs::write");
    let report = dir.path().join("report.json");
    let run = run_measured(
        [
            "check".as_ref(),
            "--offline".as_ref(),
            repo.as_os_str(),
            "--format".as_ref(),
            json_report_arg(&report).as_ref(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(mode(&report), mode(&dir.path().join("plain.txt")));
}

#[test]
fn an_output_path_that_is_a_symlink_is_replaced_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(&repo, ".github/workflows/nightly.yml", GOOD);
    write(dir.path(), "precious.txt", "must not be overwritten\n");
    let report = dir.path().join("report.json");
    std::os::unix::fs::symlink(dir.path().join("precious.txt"), &report).unwrap();
    let run = run_measured(
        [
            "check".as_ref(),
            "--offline".as_ref(),
            repo.as_os_str(),
            "--format".as_ref(),
            json_report_arg(&report).as_ref(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
        "must not be overwritten\n"
    );
    assert!(std::fs::symlink_metadata(&report).unwrap().is_file());
}

#[test]
fn a_report_into_a_missing_folder_is_a_tool_error_that_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(&repo, ".github/workflows/nightly.yml", GOOD);
    let report = dir.path().join("no-such-folder").join("report.json");
    let run = run_measured(
        [
            "check".as_ref(),
            "--offline".as_ref(),
            repo.as_os_str(),
            "--format".as_ref(),
            json_report_arg(&report).as_ref(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr_flat()
            .contains(&format!("cannot write {}", report.display())),
        "{}",
        run.stderr
    );
}
