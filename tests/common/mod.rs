//! What the test binaries share: the `alertlint` binary cut off from any GitHub settings
//! in the environment the tests happen to run in, and, for the hostile-input and leak
//! tests, what they measure: its exit code and output, the CPU time it used and its peak
//! memory, taken from the kernel's accounting for that one child process (`wait4`).

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bounds every hostile case must stay within.
pub const MAX_CPU: Duration = Duration::from_secs(2);
pub const MAX_RSS_KB: u64 = 200 * 1024;

/// A case that runs longer than this is hung, not slow: it is killed and fails.
const WATCHDOG: Duration = Duration::from_secs(60);

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub cpu: Duration,
    pub peak_rss_kb: u64,
}

impl Run {
    /// Stderr as one line: diagnostics wrap long messages and draw a margin.
    pub fn stderr_flat(&self) -> String {
        self.stderr
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn report(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not a JSON report ({e}): {}", self.stdout))
    }

    /// The findings of one rule in the JSON report, as (path, line, message).
    pub fn findings(&self, rule: &str) -> Vec<(String, Option<u64>, String)> {
        self.report()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                (
                    f["path"].as_str().unwrap_or_default().to_string(),
                    f["line"].as_u64(),
                    f["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    pub fn assert_within_bounds(&self, case: &str) {
        assert!(
            self.cpu < MAX_CPU,
            "{case}: used {:?} of CPU, over {MAX_CPU:?}",
            self.cpu
        );
        assert!(
            self.peak_rss_kb < MAX_RSS_KB,
            "{case}: peaked at {} KiB, over {MAX_RSS_KB} KiB",
            self.peak_rss_kb
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("internal error"),
            "{case}: {}",
            self.stderr
        );
    }
}

/// Runs `alertlint` with `args` and `env`, waiting for it without a shell in between, so
/// that the CPU time and peak memory are the binary's own.
// The child is reaped by `wait4`, which the lint cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_measured<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = Command::new(env!("CARGO_BIN_EXE_alertlint"))
        .args(args)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("alertlint starts");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let started = Instant::now();
    let (status, usage) = loop {
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, writing into two locals we own.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break (status, usage);
        }
        assert_eq!(reaped, 0, "wait4 failed");
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("alertlint was still running after {WATCHDOG:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        cpu: duration(usage.ru_utime) + duration(usage.ru_stime),
        peak_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(u64::MAX),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn duration(time: libc::timeval) -> Duration {
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let micros = u32::try_from(time.tv_usec).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(u64::from(micros))
}

pub fn write(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

pub fn symlink(root: &Path, relative: &str, target: impl AsRef<Path>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("mkdir");
    std::os::unix::fs::symlink(target, path).expect("symlink");
}

/// `check ROOT --format json --offline`, measured.
pub fn check_json(root: &Path) -> Run {
    run_measured(
        [
            OsStr::new("check"),
            root.as_os_str(),
            OsStr::new("--offline"),
            OsStr::new("--format"),
            OsStr::new("json"),
        ],
        &[],
    )
}

/// A scheduled workflow whose one job is alerted, to sit beside hostile files.
pub const GOOD: &str = "name: Nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./sync.sh\n      - if: failure()\n        run: curl -fsS -X POST \"${{ secrets.SLACK_WEBHOOK_URL }}\" -d '{\"text\":\"failed\"}'\n";

/// The binary with no token, repository, API or log filter from the environment, so
/// that a test goes online only when it says so.
pub fn alertlint() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("alertlint").expect("the binary builds");
    for name in [
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "ALERTLINT_LOG",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_WORKSPACE",
    ] {
        command.env_remove(name);
    }
    command
}
