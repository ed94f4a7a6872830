//! Every fixture under `fixtures/` run through the real binary: its whole human and JSON
//! output against reviewed snapshots, and its verdicts against the hand-written
//! `expected.json` that sits beside it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The day fixtures are judged on, so that exception expiry does not depend on the clock.
pub const TODAY: &str = "2026-06-01";

/// Runs `alertlint check` on a fixture, from the crate root so paths print relative.
fn run(name: &str, format: &str) -> (i32, String, String) {
    let output = Command::cargo_bin("alertlint")
        .expect("binary builds")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .env("ALERTLINT_TODAY", TODAY)
        .env("COLUMNS", "100")
        .args([
            "check",
            &format!("fixtures/{name}"),
            "--offline",
            "--format",
            format,
        ])
        .output()
        .expect("binary runs");
    let code = output
        .status
        .code()
        .expect("exited normally, not by a signal");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    (code, stdout, stderr)
}

/// Checks the JSON report against the fixture's `expected.json`.
fn check_expected(name: &str, code: i32, report: &str) {
    let text =
        std::fs::read_to_string(fixture_dir(name).join("expected.json")).expect("expected.json");
    let expected: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    assert_eq!(
        code,
        expected["exit"].as_i64().unwrap() as i32,
        "{name}: exit code"
    );
    if code == 2 {
        return;
    }
    let report: Value = serde_json::from_str(report).expect("report is JSON");
    assert_eq!(
        report["control"]["status"], expected["control"],
        "{name}: control status"
    );
    let critical: BTreeSet<&str> = report["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["critical"] == true)
        .map(|w| w["path"].as_str().unwrap())
        .collect();
    let wanted: BTreeSet<&str> = expected["jobs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(critical, wanted, "{name}: critical workflows");
    for (path, jobs) in expected["jobs"].as_object().unwrap() {
        let workflow = report["workflows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["path"] == *path)
            .unwrap();
        for (job, verdict) in jobs.as_object().unwrap() {
            let got = workflow["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|j| j["id"] == *job);
            let got = got.map(|j| j["verdict"].clone()).unwrap_or(Value::Null);
            assert_eq!(&got, verdict, "{name}: verdict of {path} job {job}");
        }
    }
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in expected["rules"].as_array().unwrap() {
        assert!(
            rules.contains(rule.as_str().unwrap()),
            "{name}: expected a {rule} finding, got {rules:?}"
        );
    }
    check_waivers(name, &expected, &report);
}

/// `waived` lists the rules whose findings a live exception accepts, and `expired` those
/// whose exception has expired; when a key is absent, that fixture says nothing of it.
fn check_waivers(name: &str, expected: &Value, report: &Value) {
    let findings = report["findings"].as_array().unwrap();
    let rules_where = |test: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        findings
            .iter()
            .filter(|f| test(f))
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = |key: &str| -> Option<BTreeSet<String>> {
        expected[key].as_array().map(|rules| {
            rules
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect()
        })
    };
    if let Some(waived) = listed("waived") {
        let got = rules_where(&|f| f["status"] == "waived");
        assert_eq!(got, waived, "{name}: waived findings");
    }
    if let Some(expired) = listed("expired") {
        let got = rules_where(&|f| f["waiver"]["expired"] == true && f["status"] == "open");
        assert_eq!(got, expired, "{name}: findings whose exception expired");
    }
}

fn check_fixture(name: &str) {
    let (code, json, json_err) = run(name, "json");
    check_expected(name, code, &json);
    let (human_code, human, human_err) = run(name, "human");
    assert_eq!(code, human_code, "{name}: both formats exit alike");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(name);
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(
            "json",
            format!("exit: {code}\n--- stdout\n{json}--- stderr\n{json_err}")
        );
        insta::assert_snapshot!(
            "human",
            format!("exit: {code}\n--- stdout\n{human}--- stderr\n{human_err}")
        );
    });
}

macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_fixture($name);
            }
        )*

        const LISTED: &[&str] = &[$($name),*];
    };
}

fixtures! {
    broken_yaml_next_to_good_workflow => "broken-yaml-next-to-good-workflow",
    composite_notifier_after_checkout => "composite-notifier-after-checkout",
    composite_notifier_inner_failure_guard => "composite-notifier-inner-failure-guard",
    composite_notifier_without_checkout => "composite-notifier-without-checkout",
    config_critical_by_file_name => "config-critical-by-file-name",
    continue_on_error_alert_reads_outcome => "continue-on-error-alert-reads-outcome",
    curl_secret_through_env_alias => "curl-secret-through-env-alias",
    config_critical_glob_selects_push_workflow => "config-critical-glob-selects-push-workflow",
    config_critical_replaces_schedule_default => "config-critical-replaces-schedule-default",
    config_unknown_key => "config-unknown-key",
    curl_deploy_hook_not_alert => "curl-deploy-hook-not-alert",
    curl_generic_webhook_secret_not_alert => "curl-generic-webhook-secret-not-alert",
    curl_github_api_cancel_not_alert => "curl-github-api-cancel-not-alert",
    curl_slack_secret_on_failure => "curl-slack-secret-on-failure",
    empty_workflow_file => "empty-workflow-file",
    exception_config_expired => "exception-config-expired",
    exception_config_live => "exception-config-live",
    exception_inline_ignore => "exception-inline-ignore",
    exception_unused => "exception-unused",
    exception_without_reason => "exception-without-reason",
    failure_job_opens_issue_not_alert => "failure-job-opens-issue-not-alert",
    jobs_empty_mapping => "jobs-empty-mapping",
    nightly_sync_monthly_billing => "nightly-sync-monthly-billing",
    notify_job_always_contains_needs_failure => "notify-job-always-contains-needs-failure",
    notify_job_always_needs_result_check => "notify-job-always-needs-result-check",
    notify_job_failure_covers_ancestors => "notify-job-failure-covers-ancestors",
    notify_job_needs_result_misses_grandparent => "notify-job-needs-result-misses-grandparent",
    notify_job_without_status_function_never_runs => "notify-job-without-status-function-never-runs",
    pagerduty_change_events_not_alert => "pagerduty-change-events-not-alert",
    quoted_on_key => "quoted-on-key",
    remote_reusable_workflow_only_job => "remote-reusable-workflow-only-job",
    remote_uncatalogued_action_on_failure => "remote-uncatalogued-action-on-failure",
    reusable_critical_job_with_failure_step => "reusable-critical-job-with-failure-step",
    reusable_notifier_called_on_failure => "reusable-notifier-called-on-failure",
    reusable_notifier_disabled_by_input => "reusable-notifier-disabled-by-input",
    reusable_notifier_guards_on_own_failure => "reusable-notifier-guards-on-own-failure",
    reusable_notifier_secret_not_passed => "reusable-notifier-secret-not-passed",
    rtcamp_slack_notify_on_failure => "rtcamp-slack-notify-on-failure",
    send_mail_on_failure => "send-mail-on-failure",
    slack_pinned_sha_v2_comment_with_v1_config => "slack-pinned-sha-v2-comment-with-v1-config",
    slack_v1_incoming_webhook_without_payload => "slack-v1-incoming-webhook-without-payload",
    slack_v1_without_webhook_type => "slack-v1-without-webhook-type",
    slack_v2_missing_webhook_type => "slack-v2-missing-webhook-type",
    slack_v2_pinned_sha_version_comment => "slack-v2-pinned-sha-version-comment",
    slack_v2_without_errors_input => "slack-v2-without-errors-input",
    step_alert_after_continue_on_error => "step-alert-after-continue-on-error",
    step_alert_always => "step-alert-always",
    step_alert_before_failing_step => "step-alert-before-failing-step",
    step_alert_in_downstream_job_never_runs => "step-alert-in-downstream-job-never-runs",
    step_alert_missing => "step-alert-missing",
    step_alert_narrowed_by_ref => "step-alert-narrowed-by-ref",
    step_alert_not_success => "step-alert-not-success",
    step_alert_without_if_never_fires => "step-alert-without-if-never-fires",
    timeout_minutes_failure_only_alert => "timeout-minutes-failure-only-alert",
    webhook_hardcoded_in_curl => "webhook-hardcoded-in-curl",
    workflow_run_listener_matches_name => "workflow-run-listener-matches-name",
    workflow_run_listener_matches_path_when_unnamed => "workflow-run-listener-matches-path-when-unnamed",
    workflow_run_listener_names_file_not_name => "workflow-run-listener-names-file-not-name",
    workflow_run_listener_requested_type => "workflow-run-listener-requested-type",
    workflow_run_listener_success_only => "workflow-run-listener-success-only",
    yaml_anchors_on_steps => "yaml-anchors-on-steps",
    yaml_merge_key_rejected => "yaml-merge-key-rejected",
}

#[test]
fn every_fixture_folder_has_a_test() {
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
    let listed: BTreeSet<String> = LISTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "add the fixture to the fixtures! list in tests/fixtures.rs"
    );
}
