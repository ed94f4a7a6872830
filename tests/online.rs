//! The online checks, run through the real binary against a GitHub API stand-in on
//! 127.0.0.1 whose answers follow GitHub's documented shapes: `total_count` with
//! `secrets`, `workflows` or `workflow_runs`, `Link` headers with `rel="next"`, rate-limit
//! headers, and error bodies with `message` and `documentation_url`.

use std::path::Path;
use std::process::Output;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
mod github;

use github::{
    CALLER, NIGHTLY, NIGHTLY_PATH, REMOTE_CALLEE, check, contents, report, repository, runs,
    secrets_page,
};

const TOKEN: &str = "github_pat_11TESTTOKEN0000000000";
const REPO: &str = "/repos/acme/billing";

/// The binary pointed at the stand-in, with only the settings a test gives it.
fn alertlint(root: &Path, server: &MockServer, token: &str, extra: &[&str]) -> Output {
    common::alertlint()
        .env("GH_TOKEN", token)
        .args(["check", root.to_str().unwrap(), "--repo", "acme/billing"])
        .args(["--api-url", &server.uri()])
        .args(extra)
        .output()
        .unwrap()
}

/// Runs `check --format json` on a repository of `files` and returns the report, once
/// the exit code is the expected one.
fn judged(files: &[(&str, &str)], server: &MockServer, exit: i32) -> Value {
    let dir = repository(files);
    let output = alertlint(dir.path(), server, TOKEN, &["--format", "json"]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(exit), "{report}");
    report
}

fn finding<'r>(report: &'r Value, rule: &str) -> &'r Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {report}"))
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn workflows(state: &str) -> Value {
    json!({"total_count": 1, "workflows": [{
        "id": 161335,
        "node_id": "MDg6V29ya2Zsb3cxNjEzMzU=",
        "name": "Nightly sync",
        "path": NIGHTLY_PATH,
        "state": state,
        "created_at": "2023-01-08T23:48:37.000-08:00",
        "updated_at": "2024-06-08T23:50:21.000-08:00",
        "url": "https://api.github.com/repos/acme/billing/actions/workflows/161335",
        "html_url": "https://github.com/acme/billing/blob/main/.github/workflows/nightly.yml",
        "badge_url": "https://github.com/acme/billing/workflows/Nightly%20sync/badge.svg"
    }]})
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(body)
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4990")
        .insert_header("x-ratelimit-reset", "1999999999")
}

fn error(status: u16, message: &str, documentation: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": documentation,
        "status": status.to_string()
    }))
}

async fn mount(server: &MockServer, route: &str, response: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .expect(times)
        .mount(server)
        .await;
}

async fn repository_secrets(server: &MockServer, response: ResponseTemplate, times: u64) {
    mount(server, &format!("{REPO}/actions/secrets"), response, times).await;
}

async fn organization_secrets(server: &MockServer, response: ResponseTemplate, times: u64) {
    let route = format!("{REPO}/actions/organization-secrets");
    mount(server, &route, response, times).await;
}

async fn workflow_list(server: &MockServer, state: &str) {
    let route = format!("{REPO}/actions/workflows");
    mount(server, &route, ok(workflows(state)), 1).await;
}

async fn newest_run(server: &MockServer, age: Duration, conclusion: &str, times: u64) {
    let route = format!("{REPO}/actions/workflows/161335/runs");
    mount(server, &route, ok(runs(age, conclusion)), times).await;
}

/// A workflow that is active and ran on schedule two hours ago.
async fn active_and_fresh(server: &MockServer) {
    workflow_list(server, "active").await;
    newest_run(server, Duration::hours(2), "success", 1).await;
}

/// A repository whose secret exists, whose workflow is active and ran two hours ago.
async fn healthy(server: &MockServer) {
    let listed = ok(secrets_page(&["SLACK_WEBHOOK_URL"]));
    repository_secrets(server, listed, 1).await;
    active_and_fresh(server).await;
}

#[tokio::test]
async fn fresh_schedule_with_existing_secret_passes_in_three_requests() {
    let server = MockServer::start().await;
    healthy(&server).await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    let output = alertlint(dir.path(), &server, TOKEN, &["--format", "json", "-v"]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(report["online"]["requests"], 3);
    for id in ["secrets", "workflow-state", "schedules", "remote-files"] {
        assert_eq!(check(&report, id)["status"], "pass", "{id}: {report}");
    }
    assert_eq!(
        report["secrets"],
        json!([{"name": "SLACK_WEBHOOK_URL", "scope": "repository", "environment": null,
                "found": true, "created_at": "2024-02-01T10:00:00Z",
                "updated_at": "2025-01-15T08:30:00Z"}])
    );
    let schedule = &report["online"]["schedules"][0];
    assert_eq!(schedule["longest_gap_seconds"], 86_400);
    assert_eq!(schedule["grace_seconds"], 3_600);
    assert_eq!(schedule["newest_run"]["conclusion"], "success");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("GET /repos/acme/billing/actions/secrets?per_page=100 -> 200"),
        "{log}"
    );
    assert!(log.contains("3 requests to the GitHub API"), "{log}");
}

#[tokio::test]
async fn requests_carry_the_token_and_github_api_version() {
    let server = MockServer::start().await;
    healthy(&server).await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    alertlint(dir.path(), &server, TOKEN, &["--format", "json"]);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for request in received {
        let authorization = request.headers.get("authorization").unwrap();
        assert_eq!(authorization.to_str().unwrap(), format!("Bearer {TOKEN}"));
        let version = request.headers.get("x-github-api-version").unwrap();
        assert_eq!(version.to_str().unwrap(), "2022-11-28");
    }
}

#[tokio::test]
async fn secret_on_the_second_page_is_found_by_following_the_link_header() {
    let server = MockServer::start().await;
    let secrets = format!("{REPO}/actions/secrets");
    let next = format!(
        "<{}/repositories/42/actions/secrets?per_page=100&page=2>; rel=\"next\", <{}/repositories/42/actions/secrets?per_page=100&page=2>; rel=\"last\"",
        server.uri(),
        server.uri()
    );
    let first: Vec<String> = (0..100).map(|i| format!("OTHER_{i}")).collect();
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let mut page_one = secrets_page(&first);
    page_one["total_count"] = json!(101);
    Mock::given(method("GET"))
        .and(path(secrets.as_str()))
        .and(query_param("per_page", "100"))
        .and(query_param_is_missing("page"))
        .respond_with(ok(page_one).insert_header("link", next.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    let mut page_two = secrets_page(&["SLACK_WEBHOOK_URL"]);
    page_two["total_count"] = json!(101);
    Mock::given(method("GET"))
        .and(path("/repositories/42/actions/secrets"))
        .and(query_param("page", "2"))
        .respond_with(ok(page_two))
        .expect(1)
        .mount(&server)
        .await;
    active_and_fresh(&server).await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    let output = alertlint(dir.path(), &server, TOKEN, &["--format", "json"]);
    let report = report(&output);
    assert_eq!(check(&report, "secrets")["status"], "pass", "{report}");
    assert_eq!(report["secrets"][0]["scope"], "repository");
    assert_eq!(output.status.code(), Some(0));
}

#[tokio::test]
async fn organization_secret_satisfies_a_route_reference() {
    let server = MockServer::start().await;
    repository_secrets(&server, ok(secrets_page(&["DEPLOY_KEY"])), 1).await;
    organization_secrets(&server, ok(secrets_page(&["SLACK_WEBHOOK_URL"])), 1).await;
    active_and_fresh(&server).await;
    let report = judged(&[(NIGHTLY_PATH, NIGHTLY)], &server, 0);
    assert_eq!(report["secrets"][0]["scope"], "organization");
    assert_eq!(report["secrets"][0]["found"], true);
}

#[tokio::test]
async fn environment_secret_satisfies_a_job_with_an_environment() {
    let server = MockServer::start().await;
    repository_secrets(&server, ok(secrets_page(&[])), 1).await;
    let environment = format!("{REPO}/environments/billing%20prod/secrets");
    mount(
        &server,
        &environment,
        ok(secrets_page(&["SLACK_WEBHOOK_URL"])),
        1,
    )
    .await;
    organization_secrets(&server, ok(secrets_page(&[])), 0).await;
    active_and_fresh(&server).await;
    let with_environment = NIGHTLY.replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    environment: billing prod\n",
    );
    let report = judged(&[(NIGHTLY_PATH, &with_environment)], &server, 0);
    assert_eq!(report["secrets"][0]["scope"], "environment");
    assert_eq!(report["secrets"][0]["environment"], "billing prod");
}

#[tokio::test]
async fn missing_secret_points_at_the_line_that_reads_it_and_fails() {
    let server = MockServer::start().await;
    repository_secrets(&server, ok(secrets_page(&[])), 1).await;
    organization_secrets(&server, ok(secrets_page(&["ONCALL_KEY"])), 1).await;
    active_and_fresh(&server).await;
    let report = judged(
        &[
            (NIGHTLY_PATH, NIGHTLY),
            (".github/alertlint.yml", "required_secrets: [ONCALL_KEY]\n"),
        ],
        &server,
        1,
    );
    let missing: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "secret-missing")
        .collect();
    assert_eq!(missing.len(), 1, "the required ONCALL_KEY exists: {report}");
    assert_eq!(missing[0]["path"], NIGHTLY_PATH);
    assert_eq!(
        missing[0]["line"], 14,
        "the `webhook:` line: {}",
        missing[0]
    );
    assert_eq!(missing[0]["route"], "jobs.sync.steps[1].with.webhook");
    assert_eq!(check(&report, "secrets")["status"], "fail");
    let found: Vec<(&str, bool)> = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["found"].as_bool().unwrap()))
        .collect();
    assert_eq!(found, [("SLACK_WEBHOOK_URL", false), ("ONCALL_KEY", true)]);
}

#[tokio::test]
async fn forbidden_secrets_explain_the_github_token_and_leave_the_control_unverified() {
    let server = MockServer::start().await;
    let refused = error(
        403,
        "Resource not accessible by integration",
        "https://docs.github.com/rest/actions/secrets#list-repository-secrets",
    );
    repository_secrets(&server, refused.clone(), 1).await;
    organization_secrets(&server, refused, 1).await;
    active_and_fresh(&server).await;
    let report = judged(&[(NIGHTLY_PATH, NIGHTLY)], &server, 3);
    assert_eq!(report["control"]["status"], "unverified");
    let secrets = check(&report, "secrets");
    assert_eq!(secrets["status"], "unverified");
    let reason = secrets["reason"].as_str().unwrap();
    for words in [
        "Resource not accessible by integration",
        "GITHUB_TOKEN can never list secrets",
        "Secrets, Environments, Actions and Metadata read",
        "classic token with `repo`",
    ] {
        assert!(reason.contains(words), "{words}: {reason}");
    }
    assert_eq!(check(&report, "schedules")["status"], "pass");
    assert!(rules(&report).contains(&"online-check-unverified".to_string()));
}

#[tokio::test]
async fn unknown_repository_leaves_every_check_unverified() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(404, "Not Found", "https://docs.github.com/rest"))
        .mount(&server)
        .await;
    let report = judged(&[(NIGHTLY_PATH, NIGHTLY)], &server, 3);
    for id in ["secrets", "workflow-state"] {
        let check = check(&report, id);
        assert_eq!(check["status"], "unverified", "{id}");
        let reason = check["reason"].as_str().unwrap();
        assert!(
            reason.contains("acme/billing does not exist, or"),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn server_error_is_retried_and_the_second_answer_counts() {
    let server = MockServer::start().await;
    let secrets = format!("{REPO}/actions/secrets");
    Mock::given(method("GET"))
        .and(path(secrets.as_str()))
        .respond_with(error(500, "Server Error", "https://docs.github.com/rest"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    healthy(&server).await;
    let report = judged(&[(NIGHTLY_PATH, NIGHTLY)], &server, 0);
    assert_eq!(report["online"]["requests"], 4);
}

#[tokio::test]
async fn retry_after_is_honoured_before_asking_again() {
    let server = MockServer::start().await;
    let secrets = format!("{REPO}/actions/secrets");
    Mock::given(method("GET"))
        .and(path(secrets.as_str()))
        .respond_with(
            error(
                429,
                "You have exceeded a secondary rate limit",
                "https://docs.github.com/rest",
            )
            .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    healthy(&server).await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    let started = std::time::Instant::now();
    let output = alertlint(dir.path(), &server, TOKEN, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", report(&output));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

#[tokio::test]
async fn spent_primary_rate_limit_stops_all_requests_and_leaves_the_control_unverified() {
    let server = MockServer::start().await;
    let reset = (Utc::now() + Duration::hours(1)).timestamp().to_string();
    Mock::given(method("GET"))
        .respond_with(
            error(
                403,
                "API rate limit exceeded for user ID 1.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            )
            .insert_header("x-ratelimit-limit", "5000")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-used", "5000")
            .insert_header("x-ratelimit-reset", reset.as_str())
            .insert_header("x-ratelimit-resource", "core"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    let started = std::time::Instant::now();
    let output = alertlint(dir.path(), &server, TOKEN, &["--format", "json"]);
    let report = report(&output);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(3), "{report}");
    assert_eq!(report["online"]["requests"], 1);
    let reason = check(&report, "workflow-state")["reason"].as_str().unwrap();
    assert!(reason.contains("rate limit"), "{reason}");
}

#[tokio::test]
async fn workflow_disabled_for_inactivity_fails_the_control() {
    let server = MockServer::start().await;
    repository_secrets(&server, ok(secrets_page(&["SLACK_WEBHOOK_URL"])), 1).await;
    workflow_list(&server, "disabled_inactivity").await;
    newest_run(&server, Duration::days(70), "success", 0).await;
    let report = judged(&[(NIGHTLY_PATH, NIGHTLY)], &server, 1);
    let finding = finding(&report, "workflow-disabled");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["path"], NIGHTLY_PATH);
    assert_eq!(finding["line"], 2, "the `on:` key");
    assert!(finding["message"].as_str().unwrap().contains("60 days"));
    assert_eq!(
        report["online"]["workflows"][0]["state"],
        "disabled_inactivity"
    );
    assert_eq!(check(&report, "workflow-state")["status"], "fail");
}

#[tokio::test]
async fn stale_schedule_fails_with_its_newest_run_as_evidence() {
    let server = MockServer::start().await;
    repository_secrets(&server, ok(secrets_page(&["SLACK_WEBHOOK_URL"])), 1).await;
    workflow_list(&server, "active").await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/actions/workflows/161335/runs")))
        .and(query_param("event", "schedule"))
        .and(query_param("per_page", "1"))
        .respond_with(ok(runs(Duration::days(3), "startup_failure")))
        .expect(1)
        .mount(&server)
        .await;
    let report = judged(&[(NIGHTLY_PATH, NIGHTLY)], &server, 1);
    let finding = finding(&report, "schedule-stale");
    assert_eq!(finding["route"], "on.schedule");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("https://github.com/acme/billing/actions/runs/30433642"));
    assert!(message.contains("startup_failure"), "{message}");
    let schedule = &report["online"]["schedules"][0];
    assert_eq!(schedule["status"], "fail");
    assert_eq!(schedule["newest_run"]["conclusion"], "startup_failure");
    let age = schedule["newest_run"]["age_seconds"].as_i64().unwrap();
    assert!((259_000..260_000).contains(&age), "{age}");
}

#[tokio::test]
async fn grace_from_the_config_stretches_the_allowed_gap() {
    let server = MockServer::start().await;
    repository_secrets(&server, ok(secrets_page(&["SLACK_WEBHOOK_URL"])), 1).await;
    workflow_list(&server, "active").await;
    newest_run(&server, Duration::hours(30), "success", 1).await;
    let report = judged(
        &[
            (NIGHTLY_PATH, NIGHTLY),
            (".github/alertlint.yml", "schedule_grace_minutes: 480\n"),
        ],
        &server,
        0,
    );
    assert_eq!(report["online"]["schedules"][0]["grace_seconds"], 28_800);
}

#[tokio::test]
async fn remote_reusable_workflow_is_fetched_by_contents_and_judged() {
    let server = MockServer::start().await;
    let callee = ".github/workflows/sanctions-sync.yml";
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/platform/contents/{callee}")))
        .and(query_param("ref", "v3"))
        .respond_with(ok(contents(callee, REMOTE_CALLEE)))
        .expect(1)
        .mount(&server)
        .await;
    repository_secrets(&server, ok(secrets_page(&["PAGER_WEBHOOK"])), 1).await;
    active_and_fresh(&server).await;
    let report = judged(&[(NIGHTLY_PATH, CALLER)], &server, 0);
    let job = &report["workflows"][0]["jobs"][0];
    assert_eq!(job["verdict"], "alerted", "{report}");
    assert_eq!(job["alerted_by"]["kind"], "reusable");
    assert_eq!(check(&report, "remote-files")["status"], "pass");
    assert_eq!(report["secrets"][0]["name"], "PAGER_WEBHOOK");
}

#[tokio::test]
async fn unreadable_remote_workflow_keeps_its_job_unverified() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/repos/acme/platform/contents/.github/workflows/sanctions-sync.yml",
        ))
        .respond_with(error(
            404,
            "Not Found",
            "https://docs.github.com/rest/repos/contents",
        ))
        .expect(1)
        .mount(&server)
        .await;
    active_and_fresh(&server).await;
    let report = judged(&[(NIGHTLY_PATH, CALLER)], &server, 3);
    assert_eq!(report["workflows"][0]["jobs"][0]["verdict"], "unverified");
    let remote = check(&report, "remote-files");
    assert_eq!(remote["status"], "unverified");
    assert!(remote["reason"].as_str().unwrap().contains("was not found"));
}

#[tokio::test]
async fn offline_with_a_token_in_the_environment_sends_no_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    let output = alertlint(
        dir.path(),
        &server,
        TOKEN,
        &["--offline", "--format", "json"],
    );
    let report = report(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(report["online"]["offline"], true);
    assert_eq!(report["online"]["requests"], 0);
}

#[tokio::test]
async fn canary_token_appears_in_no_output_log_or_report_file() {
    let canary = "ghp_CANARY7f3e9a1b2c4d5e6f70819a2b3c4d5e6f7";
    let server = MockServer::start().await;
    let echoed = error(
        403,
        &format!("Bad credentials: token {canary} is not allowed here"),
        "https://docs.github.com/rest",
    );
    repository_secrets(&server, echoed, 1).await;
    organization_secrets(&server, error(500, canary, "x"), 3).await;
    workflow_list(&server, "active").await;
    newest_run(&server, Duration::days(4), "failure", 1).await;
    let dir = repository(&[(NIGHTLY_PATH, NIGHTLY)]);
    let file = dir.path().join("report.json");
    let json_to_file = format!("json={}", file.display());
    let output = alertlint(
        dir.path(),
        &server,
        canary,
        &["-vv", "--format", "human", "--format", &json_to_file],
    );
    let received = server.received_requests().await.unwrap();
    assert!(
        received
            .iter()
            .all(|r| r.headers.get("authorization").unwrap() == &format!("Bearer {canary}")),
        "the token must reach the API, or this test proves nothing"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        stderr.contains("GET /repos/acme/billing"),
        "-vv logs requests: {stderr}"
    );
    assert!(
        written.contains("[redacted]"),
        "the echo is reported, redacted"
    );
    for (name, text) in [
        ("stdout", &*stdout),
        ("stderr", &*stderr),
        ("report", &*written),
    ] {
        assert!(!text.contains(canary), "the token leaked into {name}");
        assert!(
            !text.contains("CANARY7f3e"),
            "part of the token leaked into {name}"
        );
    }
}
