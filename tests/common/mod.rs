//! What the test binaries share: the `alertlint` binary, cut off from any GitHub
//! settings in the environment the tests happen to run in.

use assert_cmd::Command;

/// The binary with no token, repository, API or log filter from the environment, so
/// that a test goes online only when it says so.
pub fn alertlint() -> Command {
    let mut command = Command::cargo_bin("alertlint").expect("the binary builds");
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
