//! Every way an online check can fail, injected into a GitHub API stand-in on 127.0.0.1
//! and met by the real binary: no answer, a refused or wrong-protocol connection, error
//! statuses, rate limits, bodies that cannot be read, and page links that never end. Each
//! must leave its checks and the control unverified (exit 3) with a reason a user can act
//! on, within [`BOUND`], and print the token nowhere.
//!
//! wiremock plays the API wherever it can say the failure; [`RawServer`] plays the rest
//! (an answer that never comes, a body cut short, plain HTTP behind an https URL).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

mod common;
mod github;

use github::{
    CALLER, NIGHTLY, NIGHTLY_PATH, REMOTE_CALLEE, check, contents, report, repository, runs,
    secrets_page,
};

const TOKEN: &str = "github_pat_11FAILCLOSED0000000000";

/// How long any failing run may take. The slowest case, a rate limit that asks for a
/// second's pause on every try, needs about 8 s; the rest end within 5 s.
const BOUND: Duration = Duration::from_secs(20);

/// When the test gives up on the binary and kills it, so that a hang fails the test
/// instead of stalling it.
const KILL_AFTER: Duration = Duration::from_secs(60);

/// Every check, each given work to do by [`critical_workflows`].
const ALL_CHECKS: &[&str] = &["secrets", "workflow-state", "schedules", "remote-files"];

/// The checks that read paged lists, and the schedules that depend on one of them.
const LIST_CHECKS: &[&str] = &["secrets", "workflow-state", "schedules"];

const CALLER_PATH: &str = ".github/workflows/sanctions.yml";

/// Two scheduled critical workflows: one whose alert reads a secret, one that waits on a
/// remote reusable workflow. Every online check has work to do.
fn critical_workflows() -> TempDir {
    repository(&[(NIGHTLY_PATH, NIGHTLY), (CALLER_PATH, CALLER)])
}

/// A page that would satisfy both list checks: both secrets exist and both workflows are
/// active. A check that passed on it after a broken page chain passed on partial data.
fn satisfying_page() -> Value {
    let workflow = |id: u64, path: &str| {
        json!({"id": id, "path": path, "state": "active",
               "created_at": "2023-01-08T23:48:37.000-08:00"})
    };
    let mut page = secrets_page(&["SLACK_WEBHOOK_URL", "PAGER_WEBHOOK"]);
    page["workflows"] = json!([
        workflow(161335, NIGHTLY_PATH),
        workflow(161336, CALLER_PATH)
    ]);
    page
}

/// One way of failing and what the user must be told about it.
struct Case {
    api_url: String,
    /// Words that the reason of every check in `open` must hold.
    reason: &'static str,
    /// The checks the failure must leave unverified.
    open: &'static [&'static str],
}

impl Case {
    fn new(api_url: String, reason: &'static str) -> Self {
        Self {
            api_url,
            reason,
            open: ALL_CHECKS,
        }
    }
}

/// Runs the binary against the case and checks what every failure owes the user:
/// within the bound, exit 3, the control and the affected checks unverified with the
/// reason, no schedule counted as on time, and no token anywhere. Returns the report.
fn assert_fails_closed(name: &str, case: &Case) -> Value {
    let dir = critical_workflows();
    let started = Instant::now();
    let output = run(dir.path().to_str().unwrap(), &case.api_url);
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(elapsed < BOUND, "{name}: took {elapsed:?}\n{stderr}");
    assert_eq!(output.status.code(), Some(3), "{name}:\n{stdout}\n{stderr}");

    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains(TOKEN), "{name}: the token is in {stream}");
        let part = &TOKEN[11..21];
        assert!(
            !text.contains(part),
            "{name}: part of the token is in {stream}"
        );
    }

    let report = report(&output);
    let control = &report["control"]["status"];
    assert_eq!(control, "unverified", "{name}: {report}");
    for id in case.open {
        let check = check(&report, id);
        assert_eq!(check["status"], "unverified", "{name}: {id}: {report}");
        let reason = check["reason"].as_str().unwrap();
        assert!(reason.contains(case.reason), "{name}: {id}: {reason}");
    }
    for schedule in report["online"]["schedules"].as_array().unwrap() {
        assert_ne!(schedule["status"], "pass", "{name}: {schedule}");
    }
    let findings = report["findings"].as_array().unwrap();
    let warned = findings
        .iter()
        .any(|f| f["rule"] == "online-check-unverified");
    assert!(
        warned,
        "{name}: no online-check-unverified finding: {report}"
    );
    report
}

/// The binary, online against `api_url`, with every wait cut short and every log on.
fn run(root: &str, api_url: &str) -> Output {
    common::alertlint()
        .env("GH_TOKEN", TOKEN)
        .args([
            "check",
            root,
            "--repo",
            "acme/billing",
            "--api-url",
            api_url,
        ])
        .args(["--format", "json", "-vv"])
        .args(["--rate-limit-wait", "2", "--request-timeout", "1"])
        .timeout(KILL_AFTER)
        .output()
        .unwrap()
}

/// Runs a case whose stand-in gives every request `response`, and returns the
/// stand-in for a look at what it was asked.
async fn assert_answer_fails_closed(
    name: &str,
    response: ResponseTemplate,
    reason: &'static str,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(response)
        .mount(&server)
        .await;
    assert_fails_closed(name, &Case::new(server.uri(), reason));
    server
}

fn github_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string()
    }))
}

/// How many times each URL was asked for, by path and query.
async fn asked(server: &MockServer) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for request in server.received_requests().await.unwrap() {
        let url = &request.url;
        let asked = format!("{}?{}", url.path(), url.query().unwrap_or(""));
        *counts.entry(asked).or_insert(0) += 1;
    }
    counts
}

/// Asserts that the stand-in was asked for each URL `tries` times, no more and no less.
async fn assert_each_url_asked(server: &MockServer, tries: usize) {
    for (url, times) in asked(server).await {
        assert_eq!(times, tries, "{url} was asked {times} times");
    }
}

/// The first URL is tried three times; after that no request is sent, and the checks
/// that needed one say which request went unanswered.
fn assert_no_request_after_the_first_unanswered_url(report: &Value) {
    assert_eq!(report["online"]["requests"], 3, "{report}");
    let reason = check(report, "secrets")["reason"].as_str().unwrap();
    assert!(reason.contains("was not sent, because GET "), "{reason}");
}

#[tokio::test]
async fn request_that_never_gets_an_answer_times_out() {
    let server = RawServer::start(Reply::Never);
    let case = Case::new(server.url("http"), "--request-timeout");
    let report = assert_fails_closed("no answer", &case);
    assert_no_request_after_the_first_unanswered_url(&report);
}

#[tokio::test]
async fn refused_connection_leaves_the_checks_unverified() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let case = Case::new(format!("http://127.0.0.1:{port}"), "Connection refused");
    let report = assert_fails_closed("connection refused", &case);
    assert_no_request_after_the_first_unanswered_url(&report);
}

#[tokio::test]
async fn https_url_to_a_plain_http_server_fails_the_tls_handshake() {
    let plain = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let server = RawServer::start(Reply::Bytes(plain.to_vec()));
    let case = Case::new(server.url("https"), "TLS error");
    let report = assert_fails_closed("TLS error", &case);
    assert_no_request_after_the_first_unanswered_url(&report);
}

#[tokio::test]
async fn unauthorized_token_is_reported_as_expired_or_revoked() {
    let refused = github_error(401, "Bad credentials");
    assert_answer_fails_closed("401", refused, "expired, revoked or mistyped").await;
}

#[tokio::test]
async fn forbidden_token_is_reported_with_the_permissions_it_needs() {
    let refused = github_error(403, "Resource not accessible by personal access token");
    let needs = "Secrets, Environments, Actions and Metadata read";
    assert_answer_fails_closed("403", refused, needs).await;
}

#[tokio::test]
async fn not_found_names_what_is_missing_or_hidden() {
    let missing = github_error(404, "Not Found");
    assert_answer_fails_closed("404", missing, "does not exist, or").await;
}

#[tokio::test]
async fn unprocessable_request_reports_github_s_answer() {
    let refused = github_error(422, "Validation Failed");
    let quoted = "answered 422 \"Validation Failed\"";
    assert_answer_fails_closed("422", refused, quoted).await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_gives_up_after_bounded_tries() {
    let limited = github_error(429, "You have exceeded a secondary rate limit")
        .insert_header("retry-after", "1");
    let reason = "rate limit on each of 3 attempts";
    let server = assert_answer_fails_closed("429 with retry-after", limited, reason).await;
    assert_each_url_asked(&server, 3).await;
}

#[tokio::test]
async fn rate_limit_without_retry_after_is_not_waited_out_past_the_limit() {
    let limited = github_error(429, "You have exceeded a secondary rate limit");
    let reason = "allow a longer wait with --rate-limit-wait";
    let server = assert_answer_fails_closed("429 without retry-after", limited, reason).await;
    assert_each_url_asked(&server, 1).await;
}

#[tokio::test]
async fn server_error_on_every_try_leaves_the_checks_unverified() {
    let failing = github_error(500, "Server Error");
    let reason = "The fault is on the server's side; run again later";
    let server = assert_answer_fails_closed("500 repeated", failing, reason).await;
    assert_each_url_asked(&server, 3).await;
}

#[tokio::test]
async fn body_that_is_not_json_is_not_read_as_an_answer() {
    let page = ResponseTemplate::new(200).set_body_raw(
        "<html><body>Unicorn! No server is currently available</body></html>",
        "text/html",
    );
    assert_answer_fails_closed("invalid JSON", page, "cannot read: expected value").await;
}

/// A page cut in the middle of its JSON.
fn cut_page() -> String {
    let page = satisfying_page().to_string();
    page[..page.len() / 2].to_string()
}

fn http_200(content_length: usize, body: &str) -> Vec<u8> {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close";
    format!("{head}\r\ncontent-length: {content_length}\r\n\r\n{body}").into_bytes()
}

#[tokio::test]
async fn page_cut_mid_json_with_a_matching_length_is_not_read_as_an_answer() {
    let cut = cut_page();
    let server = RawServer::start(Reply::Bytes(http_200(cut.len(), &cut)));
    let case = Case::new(server.url("http"), "cannot read: EOF while parsing");
    assert_fails_closed("truncated page, matching content-length", &case);
}

#[tokio::test]
async fn page_that_ends_before_its_content_length_is_not_read_as_an_answer() {
    let cut = cut_page();
    let full = satisfying_page().to_string().len();
    let server = RawServer::start(Reply::Bytes(http_200(full, &cut)));
    let case = Case::new(server.url("http"), "error reading a body");
    assert_fails_closed("truncated page, short of its content-length", &case);
}

#[tokio::test]
async fn content_length_shorter_than_the_page_is_not_read_as_an_answer() {
    let page = satisfying_page().to_string();
    let server = RawServer::start(Reply::Bytes(http_200(page.len() / 2, &page)));
    let case = Case::new(server.url("http"), "cannot read: EOF while parsing");
    assert_fails_closed("content-length shorter than the page", &case);
}

/// Where a page's `Link: rel="next"` points.
#[derive(Clone, Copy)]
enum NextPage {
    /// The first page leads to page 2, and page 2 back to the first.
    BackToFirst,
    /// Every page leads to itself.
    Itself,
    /// Every page leads to one more, without end.
    Onward,
    /// The first page leads to the same path on another port, which is another origin.
    Elsewhere,
}

/// A stand-in whose list pages would satisfy both list checks but link on as `next`
/// says; the remote file and the runs are answered properly, so only the links can
/// leave a check open.
async fn linking(next: NextPage) -> MockServer {
    let server = MockServer::start().await;
    let origin = server.uri();
    let respond = move |request: &Request| {
        let path = request.url.path();
        if path.contains("/contents/") {
            let callee = ".github/workflows/sanctions-sync.yml";
            return ResponseTemplate::new(200).set_body_json(contents(callee, REMOTE_CALLEE));
        }
        if path.ends_with("/runs") {
            let fresh = runs(chrono::Duration::hours(2), "success");
            return ResponseTemplate::new(200).set_body_json(fresh);
        }
        let first = format!("{origin}{path}?per_page=100");
        let page = request.url.query_pairs().find(|(key, _)| key == "page");
        let page: Option<u32> = page.and_then(|(_, page)| page.parse().ok());
        let target = match (next, page) {
            (NextPage::BackToFirst, None) => format!("{first}&page=2"),
            (NextPage::BackToFirst, Some(_)) => first,
            (NextPage::Itself, None) => first,
            (NextPage::Itself, Some(page)) => format!("{first}&page={page}"),
            (NextPage::Onward, page) => format!("{first}&page={}", page.unwrap_or(1) + 1),
            (NextPage::Elsewhere, _) => format!("http://127.0.0.1:1{path}?per_page=100&page=2"),
        };
        ResponseTemplate::new(200)
            .set_body_json(satisfying_page())
            .insert_header("link", format!("<{target}>; rel=\"next\"").as_str())
    };
    Mock::given(method("GET"))
        .respond_with(respond)
        .mount(&server)
        .await;
    server
}

/// Asserts that the case fails closed on its page links, that no URL was asked twice,
/// and that each list was read, to no more than `pages` pages.
async fn assert_links_fail_closed(name: &str, next: NextPage, reason: &'static str, pages: usize) {
    let server = linking(next).await;
    let case = Case {
        open: LIST_CHECKS,
        ..Case::new(server.uri(), reason)
    };
    assert_fails_closed(name, &case);
    let asked = asked(&server).await;
    let lists = [
        "/actions/secrets?",
        "/actions/organization-secrets?",
        "/actions/workflows?",
    ];
    for list in lists {
        let read = asked.keys().filter(|url| url.contains(list)).count();
        let within = (1..=pages).contains(&read);
        assert!(within, "{name}: {list}: {read} pages: {asked:?}");
    }
    assert_each_url_asked(&server, 1).await;
}

#[tokio::test]
async fn link_from_the_second_page_back_to_the_first_is_not_followed_round() {
    let name = "Link back to the first page";
    assert_links_fail_closed(name, NextPage::BackToFirst, "so the pages loop", 2).await;
}

#[tokio::test]
async fn link_from_a_page_to_itself_is_not_followed() {
    let name = "Link to itself";
    assert_links_fail_closed(name, NextPage::Itself, "so the pages loop", 1).await;
}

#[tokio::test]
async fn link_to_another_host_is_neither_followed_nor_taken_as_the_end() {
    let name = "Link to another host";
    assert_links_fail_closed(name, NextPage::Elsewhere, "outside --api-url", 1).await;
}

#[tokio::test]
async fn links_to_ever_new_pages_stop_after_a_hundred() {
    let name = "Link onward without end";
    assert_links_fail_closed(name, NextPage::Onward, "past 100 pages", 100).await;
}

/// What the raw stand-in sends on each connection.
enum Reply {
    /// Reads the request and never answers, holding the connection open.
    Never,
    /// These bytes, whatever was asked, then the connection is closed.
    Bytes(Vec<u8>),
}

/// A TCP server on 127.0.0.1 for answers wiremock cannot give. It accepts a bounded
/// number of connections and stops when dropped.
struct RawServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// More connections than any case needs; the rest are closed unanswered.
const MAX_CONNECTIONS: usize = 64;

impl RawServer {
    /// `scheme://127.0.0.1:PORT`; the server itself speaks plain HTTP, or nothing.
    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || serve(&listener, &reply, &stopped));
        Self {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, reply: &Reply, stop: &AtomicBool) {
    let mut held = Vec::new();
    let mut accepted = 0;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) if accepted < MAX_CONNECTIONS => {
                accepted += 1;
                if let Some(open) = answer(stream, reply) {
                    held.push(open);
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => break,
        }
    }
}

/// Reads what the client sends and replies; returns the connection when it must stay open.
fn answer(mut stream: TcpStream, reply: &Reply) -> Option<TcpStream> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    read_request(&mut stream);
    match reply {
        Reply::Never => Some(stream),
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(bytes);
            let _ = stream.flush();
            None
        }
    }
}

/// Reads an HTTP request's head, or the first flight of anything else (a TLS hello).
fn read_request(stream: &mut TcpStream) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while received.len() < 64 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
        let is_http = received[0].is_ascii_uppercase();
        if !is_http || received.windows(4).any(|w| w == b"\r\n\r\n") {
            return;
        }
    }
}
